import { testServices } from "./gateway";
import { leftover } from "./leftovers";
import { spawnGatewayProcess, type GatewayProcess } from "./spawn-gateway";

export type { GatewayProcess } from "./spawn-gateway";

/** Starts `npm start`'s entry point as another replica; stopped with the test (or file) that started it, even when it never got ready. */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  // As for in-process test gateways (./gateway.ts): deadlines are tested where a test sets one.
  const withDeadline = { REQUEST_TIMEOUT_MS: "60000", ...env };
  return spawnGatewayProcess({ ...testServices(), redisKeyPrefix: `test:${process.pid}:` }, withDeadline, (gateway) => leftover("gateway process", gateway.child, () => gateway.stop()));
}
