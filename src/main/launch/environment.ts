import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { GraphConnection } from "../../platform/neo4j";
import { createLogger, type Logger } from "../../platform/logger";
import { PROJECT_ROOT } from "../../platform/paths";
import { startNeo4j } from "./neo4j";
import { startRedis } from "./redis";

/**
 * Where services live per use, under DATA_DIR (default: .data in the checkout): `dev` (npm start,
 * npm run seed, npm run services) keeps its data in .data/dev and shares one running pair between commands; `test` gets a fresh throw-away store
 * per run; `bench` keeps its large seeded store in .data/bench so it is seeded once; `evaluate`
 * (npm run evaluate) keeps its own in .data/evaluate, since its runs write decisions and responses.
 */
export type Profile = "dev" | "test" | "bench" | "evaluate";

export interface Services {
  neo4j: GraphConnection;
  redisUrl: string | undefined;
  /** Stops what this call started; services it merely found running are left alone. */
  stop(): Promise<void>;
}

const SIZES: Record<Profile, { heap: string; pageCache: string }> = {
  dev: { heap: "2g", pageCache: "1g" },
  test: { heap: "1g", pageCache: "512m" },
  bench: { heap: "3g", pageCache: "3g" },
  evaluate: { heap: "2g", pageCache: "1g" },
};

interface StateFile {
  neo4jUri?: string;
  neo4jPid?: number;
  redisUrl?: string;
  redisPid?: number;
}

/**
 * Neo4j and Redis for this process: the ones named by NEO4J_URI / REDIS_URL when set, else ones
 * already started for this profile by another command, else fresh ones launched here.
 */
export async function ensureServices(opts: {
  profile: Profile;
  redis?: boolean;
  log?: Logger;
  /**
   * Runs just before this call launches Neo4j itself, with the store's directory (the launcher's
   * `--data`): the moment to build an empty store with the bulk importer. Not called when NEO4J_URI
   * is set or a Neo4j already runs for the profile.
   */
  beforeNeo4jStart?: (storeDir: string) => Promise<void>;
}): Promise<Services> {
  const log = opts.log ?? createLogger("services");
  const wantRedis = opts.redis ?? true;
  const shared = opts.profile !== "test";
  const dataDir = resolve(PROJECT_ROOT, process.env.DATA_DIR || ".data");
  const root = shared ? join(dataDir, opts.profile) : mkdtempSync(join(ensureDir(dataDir), "test-"));
  const statePath = join(root, "services.json");
  const state: StateFile = shared ? readState(statePath) : {};
  const stops: Array<() => Promise<void>> = [];
  const sizes = {
    heap: process.env.NEO4J_HEAP ?? SIZES[opts.profile].heap,
    pageCache: process.env.NEO4J_PAGE_CACHE ?? SIZES[opts.profile].pageCache,
  };

  const neo4jTask = async (): Promise<GraphConnection> => {
    const uri = process.env.NEO4J_URI;
    if (uri) {
      return { uri, username: process.env.NEO4J_USERNAME ?? "neo4j", password: process.env.NEO4J_PASSWORD ?? "", database: process.env.NEO4J_DATABASE };
    }
    if (state.neo4jUri && alive(state.neo4jPid)) {
      log.info({ uri: state.neo4jUri }, "using the Neo4j already running for this profile");
      return { uri: state.neo4jUri, username: "neo4j", password: "" };
    }
    const storeDir = join(root, "neo4j");
    await opts.beforeNeo4jStart?.(storeDir);
    const neo4j = await startNeo4j({ dataDir: storeDir, log, ...sizes });
    stops.push(async () => {
      log.info({ uri: neo4j.uri }, "stopping Neo4j");
      await neo4j.stop();
    });
    state.neo4jUri = neo4j.uri;
    state.neo4jPid = neo4j.pid;
    return { uri: neo4j.uri, username: "neo4j", password: "" };
  };

  const redisTask = async (): Promise<string | undefined> => {
    if (!wantRedis) return undefined;
    if (process.env.REDIS_URL) return process.env.REDIS_URL;
    // A Redis Cluster is the operator's (see src/platform/redis.ts); nothing is started for it.
    if (process.env.REDIS_CLUSTER_NODES) return `redis+cluster://${process.env.REDIS_CLUSTER_NODES.split(",").map((n) => n.trim()).join(",")}`;
    if (state.redisUrl && alive(state.redisPid)) {
      log.info({ url: state.redisUrl }, "using the Redis already running for this profile");
      return state.redisUrl;
    }
    const redis = await startRedis({ dataDir: join(root, "redis"), log });
    stops.push(async () => {
      log.info({ url: redis.url }, "stopping Redis");
      await redis.stop();
    });
    state.redisUrl = redis.url;
    state.redisPid = redis.pid;
    return redis.url;
  };

  try {
    const [neo4j, redisUrl] = await Promise.all([neo4jTask(), redisTask()]);
    if (shared && stops.length > 0) writeFileSync(statePath, JSON.stringify(state, null, 2));
    return {
      neo4j,
      redisUrl,
      stop: async () => {
        await Promise.all(stops.map((stop) => stop()));
        if (shared && stops.length > 0) rmSync(statePath, { force: true });
        if (!shared) rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.allSettled(stops.map((stop) => stop()));
    throw error;
  }
}

function readState(path: string): StateFile {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as StateFile;
  } catch {
    return {};
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
