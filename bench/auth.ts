import { randomBytes } from "node:crypto";
import { mintToken } from "../src/auth/tokens";

/**
 * The bench's gateways check tokens like any other: they are started with this run's own secret,
 * and the load carries the token of the front line it stands for (a 10086 agent of the province
 * for the unified view and decisions, an event feed for real time), so the figures include
 * verifying it on every request.
 */
export const BENCH_AUTH_SECRET = randomBytes(32).toString("hex");

type BenchRole = "AGENT" | "SERVICE" | "ADMIN" | "ADMIN_CHECKER" | "MARKETER";
const tokens: Partial<Record<BenchRole, string>> = {};

/** Mints the run's tokens (once, before any load). */
export async function prepareBenchTokens(): Promise<void> {
  tokens.AGENT = await mintToken(BENCH_AUTH_SECRET, { sub: "bench:agent", roles: ["AGENT"], regions: ["R33"], agentId: "bench" }, 12 * 3600);
  tokens.SERVICE = await mintToken(BENCH_AUTH_SECRET, { sub: "bench:feed", roles: ["SERVICE"], regions: ["R33"] }, 12 * 3600);
  // Contact-policy changes are maker-checker: one ADMIN proposes, another approves.
  tokens.ADMIN = await mintToken(BENCH_AUTH_SECRET, { sub: "bench:ops", roles: ["ADMIN"] }, 12 * 3600);
  tokens.ADMIN_CHECKER = await mintToken(BENCH_AUTH_SECRET, { sub: "bench:ops-checker", roles: ["ADMIN"] }, 12 * 3600);
  // The segment builder (segment previews).
  tokens.MARKETER = await mintToken(BENCH_AUTH_SECRET, { sub: "bench:marketer", roles: ["MARKETER"] }, 12 * 3600);
}

/** The Authorization header of `role`'s token. */
export function bearer(role: BenchRole): { authorization: string } {
  const token = tokens[role];
  if (!token) throw new Error("bench tokens are not minted yet: call prepareBenchTokens() first");
  return { authorization: `Bearer ${token}` };
}

/** RATE_LIMITS for the bench's gateways: the bench's loaded principals, with budgets no load reaches. */
export const BENCH_RATE_LIMITS = "AGENT=1000000000/1000000000/1000000000,SERVICE=1000000000/1000000000/1000000000,MARKETER=1000000000/0/1000000000";
