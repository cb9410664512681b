import type { AppliedChange, Approvals, ChangeRecord } from "../approval/service";
import type { RequestScope } from "../customer360/scope";
import { BadUserInputError } from "../platform/errors";
import type { ContactPolicy, ContactPolicyConfig, ContactPolicyInput } from "./policy";

/**
 * Changes to the contact policy under maker-checker (src/approval/): caps, quiet hours and the
 * do-not-disturb channels protect every customer from over-contact, so an ADMIN proposes and
 * another ADMIN approves. Not an APPROVER: they approve the marketing centre's changes, and the
 * policy is the check on marketing (separation of duties).
 *
 * A proposal is merged and validated against the stored policy as `setContactPolicy` always was
 * (BAD_USER_INPUT before anything is stored); approval merges it again over the policy stored at
 * that moment (so approvals of changes to different fields compose) and stores the next version,
 * idempotently per change (./policy.ts `update`).
 */
export class ContactPolicyChanges {
  constructor(
    private readonly policy: ContactPolicy,
    private readonly approvals: Approvals,
  ) {
    approvals.register({
      kind: "CONTACT_POLICY",
      noun: "the contact policy",
      targetType: "ContactPolicy",
      deciders: ["ADMIN"],
      // Redis is written inside the approval's graph transaction: if the write fails the approval rolls
      // back; if the commit fails after it, the change stays PENDING and approving it again finds it stored.
      apply: (_tx, change) => this.apply(change),
    });
  }

  /** Proposes a change; returns the policy as it would make it now, with the pending change. */
  async propose(scope: RequestScope, input: ContactPolicyInput): Promise<ContactPolicyConfig & { pendingChange: ChangeRecord }> {
    const preview = await this.policy.preview(input, scope.principal.id);
    const pendingChange = await this.approvals.submit(scope, { kind: "CONTACT_POLICY", action: "SET", targetId: this.policy.id, payload: input });
    return { ...preview, updatedAt: pendingChange.submittedAt, pendingChange };
  }

  /** The change awaiting approval for this deployment's policy, if any. */
  pending(scope: RequestScope): Promise<ChangeRecord | null> {
    return this.approvals.pendingFor(scope, "CONTACT_POLICY", this.policy.id);
  }

  private async apply(change: ChangeRecord): Promise<AppliedChange> {
    if (change.targetId !== this.policy.id) {
      throw new BadUserInputError(
        `Change ${change.id} is for the contact policy stored under ${change.targetId}, and this gateway's is ${this.policy.id}; approve it through a gateway of that deployment.`,
        "id",
      );
    }
    return this.policy.save(JSON.parse(change.payload) as ContactPolicyInput, change.author, change.id);
  }
}
