import { testServices } from "./gateway";
import { leftover, type LeftoverOptions } from "./leftovers";
import { spawnGatewayProcess, type GatewayProcess } from "./spawn-gateway";

export type { GatewayProcess } from "./spawn-gateway";

/**
 * Starts `npm start`'s entry point as another replica; stopped with the test (or file) that started
 * it, even when it never got ready (`options.scope: "file"` keeps one started in a test for the next).
 */
export async function startGatewayProcess(env: Record<string, string> = {}, options: LeftoverOptions = {}): Promise<GatewayProcess> {
  // As for in-process test gateways (./gateway.ts): deadlines are tested where a test sets one.
  // No start-up warm-up unless a test asks for one: the suite would pay for it in every replica it starts.
  // No drain delay on a stop unless a test asks (test/balancer.test.ts): nothing balances on these replicas.
  const withDeadline = { REQUEST_TIMEOUT_MS: "60000", WARMUP: "off", DECISION_EXPLORATION: "off", MODEL_WARM_START: "off", SHUTDOWN_DRAIN_DELAY_MS: "0", ...env };
  return spawnGatewayProcess({ ...testServices(), redisKeyPrefix: `test:${process.pid}:` }, withDeadline, (gateway) => leftover("gateway process", gateway.child, () => gateway.stop(), options));
}
