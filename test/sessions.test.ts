import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tokenFor } from "./support/auth";
import { eventually, within } from "./support/eventually";
import { startTestGateway } from "./support/gateway";
import { LiveClient } from "./support/live";

/**
 * Users' sessions (ADMIN): the sockets open on every replica, and revocation, which voids a
 * subject's tokens on every replica and closes its sockets with 4403.
 */

const SESSIONS = "query ($p: ID) { sessions(principalId: $p) { id principalId roles replica connectedAt expiresAt } }";
const REVOKE = "mutation ($p: ID!) { revokeSessions(principalId: $p) { principalId revokedAt } }";

interface SessionRow {
  id: string;
  principalId: string;
  roles: string[];
  replica: string;
}

describe("users' sessions", () => {
  test("ADMIN sees a principal's sockets on both replicas; revoking closes them with 4403 everywhere and voids its tokens, a new token works", async () => {
    const [a, b] = await Promise.all([startTestGateway(), startTestGateway()]);
    const subject = `agent:S${process.pid}`;
    const token = await tokenFor({ sub: subject, roles: ["AGENT"], agentId: `S${process.pid}` });
    const onA = new LiveClient(a.url, token);
    const onB = new LiveClient(b.url, token);
    const other = new LiveClient(a.url, tokenFor({ sub: `agent:T${process.pid}`, roles: ["AGENT"], agentId: `T${process.pid}` }));

    const rows = await eventually(
      async () => {
        const res = await a.raw<{ sessions: SessionRow[] }>(SESSIONS, { p: subject });
        const list = res.data?.sessions ?? [];
        assert.equal(list.length, 2, JSON.stringify(res));
        return list;
      },
      { what: "both sockets listed" },
    );
    assert.deepEqual(rows.map((r) => r.principalId), [subject, subject]);
    assert.deepEqual(rows[0]?.roles, ["AGENT"]);
    assert.equal(new Set(rows.map((r) => r.replica)).size, 2, "one on each replica");

    const revoked = await b.raw<{ revokeSessions: { principalId: string; revokedAt: string } }>(REVOKE, { p: subject });
    assert.equal(revoked.data?.revokeSessions.principalId, subject, JSON.stringify(revoked.errors));
    assert.equal(await within(onA.closed, { what: "the socket on the other replica closed" }), 4403);
    assert.equal(await within(onB.closed, { what: "the socket on the revoking replica closed" }), 4403);
    assert.equal(other.closedWith, null, "another principal's socket stays open");

    // The old token is void on both replicas (the revocation reached A over pub/sub).
    await eventually(
      async () => {
        const res = await a.raw('{ channels { code } }', undefined, token);
        assert.equal(res.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
        assert.match(res.errors?.[0]?.message ?? "", /revoked/);
      },
      { what: "the old token refused on replica A" },
    );
    assert.equal((await b.raw('{ channels { code } }', undefined, token)).errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    await eventually(async () => assert.equal((await a.raw<{ sessions: SessionRow[] }>(SESSIONS, { p: subject })).data?.sessions.length, 0), { what: "its sessions gone from the list" });

    // Tokens carry whole seconds: one issued after the revocation's second is accepted again.
    const later = Math.ceil((Date.parse(revoked.data?.revokeSessions.revokedAt ?? "") + 1) / 1000) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, later - Date.now() + 50)));
    const fresh = await tokenFor({ sub: subject, roles: ["AGENT"], agentId: `S${process.pid}` });
    const ok = await a.raw('{ channels { code } }', undefined, fresh);
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
  });
});
