// The layering of DESIGN.md ("Layout", "Directions"), checked on every `npm test` (ops/bootstrap.mjs)
// and by `npm run check:layers`. Type-only imports count: a type cycle is still a cycle.
//
// Layers, lowest first: each may import only the ones before it.
const LAYERS = [
  ["domain", "the leaf vocabulary"],
  ["platform", "executor, Redis, pub/sub, caches, config, errors"],
  ["graph", "all Cypher"],
  ["auth", "principal and policy"],
  ["audit", "the audit trail: personal-data catalogue, per-request collector, stream, writer, trail"],
  ["customer360", "unified view, trajectory, loaders, reference data, request scope"],
  ["approval", "maker-checker: proposed changes, their decisions, the queue"],
  ["segments", "the expression language"],
  ["tags", "the tag library: lifecycle, versions, publishing, lineage, indicator search"],
  ["marketing", "strategies, offers, segments administration, catalogue snapshot"],
  ["contact-policy", "caps, quiet hours, do-not-disturb"],
  ["decisioning", "next-best-offer decisions"],
  ["advice", "plan advice"],
  ["campaigns", "campaigns: waves, the scheduler, outboxes, work orders"],
  ["evaluation", "the evaluation centre: funnels, uplift, rankings, the cube, alerts, reports"],
  ["realtime", "events in, pushes out"],
  ["server", "Apollo and graphql-ws adapters, the context factory"],
  ["main", "entry points and wiring"],
];

const higherThan = (i) => `^src/(${LAYERS.slice(i + 1).map(([name]) => name).join("|")})/`;
const layerRules = LAYERS.slice(0, -1).map(([name, what], i) => ({
  name: `layer-${name}`,
  comment: `src/${name} (${what}) may not import a layer above it`,
  severity: "error",
  from: { path: `^src/${name}/` },
  to: { path: higherThan(i) },
}));

/** The transport-free cores: no Apollo, no WebSocket, no type-graphql (adapters wire them in). */
const CORES = "^src/(domain|platform|graph|auth|audit|customer360|approval|segments|tags|marketing|contact-policy|decisioning|advice|campaigns|evaluation|realtime)/";

module.exports = {
  forbidden: [
    { name: "no-circular", comment: "import cycles (type-only included)", severity: "error", from: {}, to: { circular: true } },
    ...layerRules,
    {
      name: "domain-is-a-leaf",
      comment: "src/domain imports nothing of ours",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { path: "^(src|schema|resolvers|seeds|bench|test)/", pathNot: "^src/domain/" },
    },
    {
      name: "cores-without-transport",
      comment: "domain rooms and realtime import no Apollo, ws, express or type-graphql",
      severity: "error",
      from: { path: CORES },
      to: { path: "node_modules/(@apollo|@as-integrations|express|graphql-ws|ws|type-graphql)/" },
    },
    {
      name: "rooms-below-the-api",
      comment: "src/ below main does not import the schema or the resolvers (main wires them in)",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/main/" },
      to: { path: "^(schema|resolvers)/" },
    },
    {
      name: "gateway-without-tools",
      comment: "nothing the gateway runs imports seeds/, bench/ or test/",
      severity: "error",
      from: { path: "^(src|schema|resolvers)/" },
      to: { path: "^(seeds|bench|test)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules|schema/generated)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    moduleSystems: ["cjs", "es6"],
  },
};
