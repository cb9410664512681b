import { resolve } from "node:path";

/** The repository root, whether running from dist/src/platform (compiled) or src/platform (type-checked only). */
export const PROJECT_ROOT = resolve(__dirname, __dirname.includes("/dist/") ? "../../.." : "../..");
