import { mintToken, type TokenClaims } from "../../src/auth/tokens";
import { ROLES } from "../../src/auth/principal";

/**
 * Tokens for tests. Every test gateway (in this process or another) checks tokens against this
 * secret. Tests that are not about security act as an operator holding every role in the seeded
 * province, so what they test is what they did before; security tests mint single-role tokens
 * with {@link tokenFor}.
 */
export const TEST_AUTH_SECRET = "test-secret-for-the-suite-only-0123456789abcdef";

/** Claims of the all-roles operator the suite acts as by default. */
export const OPERATOR: TokenClaims = { sub: "test:operator", roles: [...ROLES], regions: ["R33"], agentId: "test-agent" };

/** A token with `claims` (anything not given taken from the operator), valid for `ttlSeconds`. */
export function tokenFor(claims: Partial<TokenClaims> = {}, ttlSeconds = 3600): Promise<string> {
  return mintToken(TEST_AUTH_SECRET, { ...OPERATOR, ...claims }, ttlSeconds);
}

let operator: Promise<string> | undefined;

/** The operator's token, minted once per test process. */
export function operatorToken(): Promise<string> {
  return (operator ??= tokenFor());
}
