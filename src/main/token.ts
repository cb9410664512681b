import { MAX_TOKEN_TTL_S, mintToken, type TokenClaims } from "../auth/tokens";
import { isRole, ROLES } from "../auth/principal";
import { TEAMS, type Team } from "../domain/campaigns";
import { demoClaims, readDevSecret } from "./dev-auth";

/**
 * `npm run token -- --role ROLE [--region ID ...] [--agent ID] [--team OUTBOUND|STORE|ACCOUNT_MANAGER ...] [--customer ID] [--permission pii:read] [--ttl 8h]`: a bearer
 * token for a gateway started from this checkout (signed with its development secret, or with
 * AUTH_SECRET when set). The last line of output is the token.
 */
const USAGE = `usage: npm run token -- --role ${ROLES.join("|")} [--region ID ...] [--agent ID] [--team ${TEAMS.join("|")} ...] [--customer ID] [--permission pii:read] [--sub ID] [--ttl 8h|30m|3600s]`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const args = process.argv.slice(2);
const values: Record<string, string[]> = {};
for (let i = 0; i < args.length; i += 2) {
  const flag = args[i] ?? "";
  const value = args[i + 1];
  if (flag === "--help" || flag === "-h") fail(USAGE);
  if (!/^--(role|region|agent|team|customer|permission|sub|ttl)$/.test(flag) || value === undefined || value.startsWith("--")) fail(`${flag || "(nothing)"} is not a flag with a value here. ${USAGE}`);
  (values[flag.slice(2)] ??= []).push(value);
}

const roles = values.role ?? [];
if (roles.length === 0) fail(`--role is required. ${USAGE}`);
const bad = roles.find((r) => !isRole(r));
if (bad !== undefined) fail(`--role must be one of ${ROLES.join(", ")}; got "${bad}".`);
const teamNames: readonly string[] = TEAMS;
const badTeam = values.team?.find((t) => !teamNames.includes(t));
if (badTeam !== undefined) fail(`--team must be one of ${TEAMS.join(", ")}; got "${badTeam}".`);
const ttl = parseTtl(values.ttl?.at(-1) ?? "8h");
const base = demoClaims(roles[0] as (typeof ROLES)[number]);
const claims: TokenClaims = {
  ...base,
  roles: roles.filter(isRole),
  ...(values.sub ? { sub: values.sub.at(-1) as string } : {}),
  ...(values.region ? { regions: values.region } : {}),
  ...(values.agent ? { agentId: values.agent.at(-1) as string } : {}),
  ...(values.team ? { teams: values.team as Team[] } : {}),
  ...(values.permission ? { permissions: values.permission } : {}),
  ...(values.customer ? { customerId: values.customer.at(-1) as string, ...(roles.includes("APP") && !values.sub ? { sub: values.customer.at(-1) as string } : {}) } : {}),
};

const secret = process.env.AUTH_SECRET || readDevSecret();
if (!secret) fail("No signing secret: start the gateway once with `npm start` (it creates one under .data/dev/), or set AUTH_SECRET.");

void mintToken(secret, claims, ttl).then((token) => {
  console.error(`a ${claims.roles.join("+")} token for ${claims.sub}${claims.regions ? ` in ${claims.regions.join(", ")}` : ""}, valid ${ttl / 3600 >= 1 ? `${(ttl / 3600).toFixed(1)} h` : `${ttl / 60} min`}:`);
  console.log(token);
});

function parseTtl(text: string): number {
  const m = /^(\d+)(h|m|s)?$/.exec(text);
  const seconds = m ? Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1) : NaN;
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > MAX_TOKEN_TTL_S) fail(`--ttl must be from 60s to ${MAX_TOKEN_TTL_S / 3600}h, written like 8h, 30m or 3600s; got "${text}".`);
  return seconds;
}
