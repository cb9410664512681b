import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { mintToken, type TokenClaims } from "../auth/tokens";
import { ROLES, type Role } from "../auth/principal";
import { PROJECT_ROOT } from "../platform/paths";

/**
 * Development keeps two commands: `npm start` signs with a secret of this checkout's own, kept in
 * <DATA_DIR>/dev/auth-secret (created on first start, readable by its owner only), and prints a
 * token per role; `npm run token` signs with the same secret. Production sets AUTH_SECRET or
 * AUTH_JWKS_URL instead (src/platform/config.ts refuses to start without one).
 */

export function devSecretPath(): string {
  return join(resolve(PROJECT_ROOT, process.env.DATA_DIR || ".data"), "dev", "auth-secret");
}

/** The development secret, created when missing. */
export function ensureDevSecret(): string {
  const path = devSecretPath();
  if (existsSync(path)) return readFileSync(path, "utf8").trim();
  mkdirSync(dirname(path), { recursive: true });
  const secret = randomBytes(32).toString("hex");
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** The development secret if `npm start` made one; null otherwise. */
export function readDevSecret(): string | null {
  const path = devSecretPath();
  return existsSync(path) ? readFileSync(path, "utf8").trim() : null;
}

/** The demo principal of each role: the seeded province R33, agent A1001, the first seeded customer. */
export function demoClaims(role: Role): TokenClaims {
  switch (role) {
    case "AGENT":
      return { sub: "agent:A1001", roles: ["AGENT"], regions: ["R33"], agentId: "A1001" };
    case "APP":
      return { sub: "C0000001", roles: ["APP"], customerId: "C0000001" };
    case "SERVICE":
      return { sub: "service:demo-feed", roles: ["SERVICE"], regions: ["R33"] };
    default:
      return { sub: `${role.toLowerCase()}:demo`, roles: [role] };
  }
}

/**
 * A demo token for every role, signed with `secret`, valid for `ttlSeconds`, plus a second ADMIN
 * (`admin2:demo`): changes are maker-checker, so trying the flow takes two people. A MARKETER
 * proposes (createOffer, updateStrategy, …) and the APPROVER approves (approveChange); an ADMIN
 * proposes a contact-policy change (setContactPolicy) and the other ADMIN approves it.
 */
export async function demoTokens(secret: string, ttlSeconds: number): Promise<Array<{ label: string; token: string }>> {
  const claims: Array<{ label: string; claims: TokenClaims }> = [
    ...ROLES.map((role) => ({ label: role, claims: demoClaims(role) })),
    { label: "ADMIN-2", claims: { sub: "admin2:demo", roles: ["ADMIN"] } },
  ];
  return Promise.all(claims.map(async (c) => ({ label: c.label, token: await mintToken(secret, c.claims, ttlSeconds) })));
}

/** What `npm start` prints under the tokens: how to try maker-checker with them. */
export const DEMO_APPROVAL_HINT =
  "changes to segments, offers, strategies and the contact policy are proposals: propose with MARKETER (contact policy: ADMIN), " +
  "then approve with APPROVER (contact policy: ADMIN-2): mutation { approveChange(id: \"<pendingChange.id>\") { status } }; " +
  "{ pendingChanges { edges { node { id kind action author } } } } lists what waits";
