import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../platform/paths";
import { printGatewaySchema } from "../../schema/print";

/** `npm run schema`: writes schema/schema.graphql from the code-first schema. */
void printGatewaySchema().then((sdl) => {
  const path = join(PROJECT_ROOT, "schema/schema.graphql");
  writeFileSync(path, sdl);
  console.error(`wrote ${path}`);
});
