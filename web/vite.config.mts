import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The reference screens, one HTML entry per page (desk, hall, console, graphiql), built into
 * web/dist and served by the gateway (src/server/pages.ts). Everything is bundled: no CDN, no web
 * fonts, so the pages work on a machine without internet and under a self-only CSP.
 */
const root = resolve(import.meta.dirname);

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  // Deterministic output: same sources and lockfile, same files (no build time baked in).
  build: {
    outDir: resolve(root, "dist"),
    emptyOutDir: true,
    // The module-preload polyfill is an inline script, which a self-only CSP refuses.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 4_000,
    sourcemap: false,
    rollupOptions: {
      // GraphiQL's React-compiler directives ("use no memo") are hints to a compiler we do not run.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
      input: {
        desk: resolve(root, "desk/index.html"),
        hall: resolve(root, "hall/index.html"),
        console: resolve(root, "console/index.html"),
        graphiql: resolve(root, "graphiql/index.html"),
      },
    },
  },
  logLevel: "warn",
});
