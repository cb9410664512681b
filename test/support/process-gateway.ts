import { testServices } from "./gateway";
import { leftover } from "./leftovers";
import { spawnGatewayProcess, type GatewayProcess } from "./spawn-gateway";

export type { GatewayProcess } from "./spawn-gateway";

/** Starts `npm start`'s entry point as another replica; stopped with the test (or file) that started it, even when it never got ready. */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  return spawnGatewayProcess({ ...testServices(), redisKeyPrefix: `test:${process.pid}:` }, env, (gateway) => leftover("gateway process", gateway.child, () => gateway.stop()));
}
