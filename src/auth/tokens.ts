import type * as JoseModule from "jose" with { "resolution-mode": "import" };
import { UnauthenticatedError } from "../platform/errors";
import { TEAMS, type Team } from "../domain/campaigns";
import { isRole, MAX_SUBJECT_LENGTH, type Principal, type Role } from "./principal";

/**
 * Bearer tokens: JWTs verified with `jose`. Either a shared secret (HS256, `AUTH_SECRET`: what
 * `npm start` creates for development and `npm run token` signs with) or an identity provider's
 * keys (RS/ES, `AUTH_JWKS_URL`, with `AUTH_ISSUER` and `AUTH_AUDIENCE` checked). jose 6 is an ES
 * module; this CommonJS build loads it with `import()`, once.
 *
 * Claims: `sub` (who), `role` or `roles` (ROLES), `regions` (province, city or district ids an
 * AGENT or SERVICE works in), `agentId` (AGENT), `teams` (AGENT: the work-order teams it works
 * in, OUTBOUND, STORE, ACCOUNT_MANAGER; none: no work orders), `customerId` (APP; defaults to `sub`),
 * `permissions` (grants beyond the role, see {@link PERMISSION_NAMES}), `exp` (required).
 */

/** Grants a token may carry beyond its roles. `pii:read`: whole MSISDNs and names (AGENT, SERVICE, ADMIN; never for MARKETER). */
export const PERMISSION_NAMES = ["pii:read"] as const;

/** A region id: province R33, city R3301, district R330102 (regions nest by prefix, so a partial id would over-match). */
const REGION_ID = /^R\d{2}(?:\d{2}){0,2}$/;

export interface AuthConfig {
  /** HS256 shared secret, at least 32 characters. */
  secret?: string | undefined;
  /** An identity provider's JSON Web Key Set; tokens signed with its RS/ES keys. */
  jwksUrl?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
}

/** What a token says about its holder, before it is signed (see {@link mintToken}). */
export interface TokenClaims {
  sub: string;
  roles: readonly Role[];
  regions?: readonly string[];
  agentId?: string;
  /** Work-order teams (AGENT): OUTBOUND, STORE, ACCOUNT_MANAGER. */
  teams?: readonly Team[];
  customerId?: string;
  permissions?: readonly string[];
}

/** Longest a token may live: a working shift and a half. */
export const MAX_TOKEN_TTL_S = 12 * 3600;

const ALGORITHMS_SHARED = ["HS256"];
const ALGORITHMS_PUBLIC = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"];

type Jose = typeof JoseModule;
let josePromise: Promise<Jose> | undefined;
const jose = (): Promise<Jose> => (josePromise ??= import("jose"));

/** Verifies bearer tokens and turns their claims into a principal. */
export class TokenVerifier {
  private readonly secret: Uint8Array | undefined;
  private jwks: ReturnType<Jose["createRemoteJWKSet"]> | undefined;

  /**
   * @param isRevoked whether a token of a subject issued at a time (ms) was revoked since (src/auth/sessions.ts); in memory, no round trip
   */
  constructor(
    private readonly config: AuthConfig,
    private readonly isRevoked: (subject: string, issuedAtMs: number) => boolean = () => false,
  ) {
    this.secret = config.secret ? new TextEncoder().encode(config.secret) : undefined;
    if (!this.secret && !config.jwksUrl) throw new Error("TokenVerifier needs AUTH_SECRET or AUTH_JWKS_URL");
  }

  /** The principal of an `Authorization` header value (`Bearer <jwt>`); UNAUTHENTICATED with the reason otherwise. */
  async fromHeader(header: string | undefined | null): Promise<Principal> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
    if (!token) {
      throw new UnauthenticatedError(
        header ? 'The Authorization header must read "Bearer <token>".' : 'Send "Authorization: Bearer <token>"; in development `npm run token -- --role AGENT` prints one.',
      );
    }
    return this.verify(token);
  }

  async verify(token: string): Promise<Principal> {
    const { jwtVerify, createRemoteJWKSet, errors } = await jose();
    try {
      const options = {
        algorithms: this.secret ? ALGORITHMS_SHARED : ALGORITHMS_PUBLIC,
        requiredClaims: ["exp", "sub"],
        ...(this.config.issuer ? { issuer: this.config.issuer } : {}),
        ...(this.config.audience ? { audience: this.config.audience } : {}),
      };
      const { payload } = this.secret
        ? await jwtVerify(token, this.secret, options)
        : await jwtVerify(token, (this.jwks ??= createRemoteJWKSet(new URL(this.config.jwksUrl as string))), options);
      const principal = principalOf(payload);
      // A token without iat counts as issued at the epoch: a revocation of its subject voids it.
      if (this.isRevoked(principal.id, typeof payload.iat === "number" ? payload.iat * 1000 : 0)) {
        throw new UnauthenticatedError("This token was revoked (an operator ended the sessions of its subject); get a new one.");
      }
      return principal;
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      if (error instanceof errors.JWTExpired) throw new UnauthenticatedError("The token has expired; get a new one and send it again (subscriptions: reconnect with since).");
      if (error instanceof errors.JWTClaimValidationFailed) throw new UnauthenticatedError(`The token's ${error.claim} claim is not acceptable (${error.reason}); get a token from this gateway's issuer.`);
      if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
        throw new UnauthenticatedError("The identity provider's keys could not be fetched to check the token; retry shortly.");
      }
      throw new UnauthenticatedError("The token is not valid (malformed, or not signed by this gateway's issuer); get a new one.");
    }
  }
}

/** Signs a token with the shared secret (HS256): for development, tests and `npm run token`. */
export async function mintToken(secret: string, claims: TokenClaims, ttlSeconds: number): Promise<string> {
  const { SignJWT } = await jose();
  const { sub, roles, ...rest } = claims;
  return new SignJWT({ roles: [...roles], ...rest })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

function principalOf(payload: Record<string, unknown>): Principal {
  const sub = String(payload.sub ?? "");
  if (sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) throw new UnauthenticatedError(`The token's subject (sub) must be 1 to ${MAX_SUBJECT_LENGTH} characters; it has ${sub.length}.`);
  const claimed = Array.isArray(payload.roles) ? payload.roles : payload.role !== undefined ? [payload.role] : [];
  const roles = claimed.filter(isRole);
  if (roles.length === 0) {
    throw new UnauthenticatedError(`The token names no role the gateway knows (give "role": one of AGENT, APP, MARKETER, APPROVER, SERVICE, ADMIN).`);
  }
  const regions = Array.isArray(payload.regions) ? payload.regions.filter((r): r is string => typeof r === "string" && REGION_ID.test(r)) : [];
  const teamNames: readonly string[] = TEAMS;
  // Unknown team names are dropped, as unknown regions are: a token grants no more than it names correctly.
  const teams = Array.isArray(payload.teams) ? [...new Set(payload.teams.filter((t): t is Team => typeof t === "string" && teamNames.includes(t)))] : [];
  const known: readonly string[] = PERMISSION_NAMES;
  const permissions = Array.isArray(payload.permissions) ? payload.permissions.filter((p): p is string => typeof p === "string" && known.includes(p)) : [];
  const exp = typeof payload.exp === "number" ? new Date(payload.exp * 1000) : null;
  return {
    id: sub,
    roles: new Set(roles),
    regions,
    agentId: typeof payload.agentId === "string" ? payload.agentId : null,
    teams,
    customerId: typeof payload.customerId === "string" ? payload.customerId : roles.includes("APP") ? sub : null,
    expiresAt: exp,
    permissions: new Set(permissions),
  };
}
