import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../platform/paths";
import { printGatewaySchema, printSubgraphSchema } from "../../schema/print";

/**
 * `npm run schema`: writes schema/schema.graphql (the API, code first) and schema/subgraph.graphql
 * (the same schema as an Apollo Federation 2 subgraph: what `_service { sdl }` answers).
 */
void (async () => {
  for (const [file, sdl] of [
    ["schema/schema.graphql", await printGatewaySchema()],
    ["schema/subgraph.graphql", await printSubgraphSchema()],
  ] as const) {
    const path = join(PROJECT_ROOT, file);
    writeFileSync(path, sdl);
    console.error(`wrote ${path}`);
  }
})();
