import { ApproveChangeDocument, type ApproveChangeMutation } from "../../schema/generated/operations";
import { tokenFor } from "./auth";
import { dataOf, type GraphQLResponse, type TestGateway } from "./gateway";

/**
 * Maker-checker in tests. Changes to segments, offers, strategies and the contact policy are
 * proposals (src/approval/): the suite's operator proposes them, and {@link applyChange} approves
 * them as a second principal, so tests that need a change in force say so in one line and the
 * approval runs the real path (re-checked, applied in one transaction, caches dropped everywhere).
 */

/** The second pair of eyes: another subject than the operator, deciding every kind (APPROVER for marketing, ADMIN for the contact policy). */
export const CHECKER = { sub: "test:checker", roles: ["APPROVER", "ADMIN"] } as const;

let checker: Promise<string> | undefined;

/** The checker's token, minted once per test process. */
export function checkerToken(): Promise<string> {
  return (checker ??= tokenFor({ sub: CHECKER.sub, roles: [...CHECKER.roles] }));
}

/** Something that names a proposal: a change id, a change, a proposing mutation's result, or its whole response. */
export type ProposalRef = string | { id: string; status?: string } | { pendingChange: { id: string } | null } | GraphQLResponse<Record<string, unknown>>;

/** The change id a proposal names; fails loudly when it names none (a mutation that failed, a field not selected). */
export function changeIdOf(proposal: ProposalRef): string {
  if (typeof proposal === "string") return proposal;
  if ("pendingChange" in proposal) {
    if (!proposal.pendingChange) throw new Error("the proposal has no pendingChange: select `pendingChange { id }` in the mutation");
    return proposal.pendingChange.id;
  }
  if ("roundTrips" in proposal) {
    const data = dataOf(proposal);
    const [result] = Object.values(data) as Array<{ pendingChange?: { id: string } | null } | null>;
    if (!result?.pendingChange) throw new Error(`the response has no pendingChange: select \`pendingChange { id }\` in the mutation (${JSON.stringify(data).slice(0, 200)})`);
    return result.pendingChange.id;
  }
  return proposal.id;
}

/**
 * Approves `proposal` as the checker (a different subject, holding APPROVER and ADMIN), so the
 * change takes effect; returns the approved change. Throws with the errors when the approval fails.
 */
export async function applyChange(gw: TestGateway, proposal: ProposalRef, reason?: string): Promise<ApproveChangeMutation["approveChange"]> {
  const res = await gw.request(ApproveChangeDocument, { id: changeIdOf(proposal), ...(reason ? { reason } : {}) }, await checkerToken());
  return dataOf(res).approveChange;
}

/**
 * Sends a proposing mutation (which must select `pendingChange { id }`) as the operator and
 * approves it as the checker: the old one-step write, for tests that are not about approval.
 * Returns the mutation's data (the target as proposed, which is what was applied).
 */
export async function proposeAndApply<T extends Record<string, unknown>>(gw: TestGateway, mutation: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const res = await gw.raw<T>(mutation, variables, token);
  await applyChange(gw, res as GraphQLResponse<Record<string, unknown>>);
  return dataOf(res);
}
