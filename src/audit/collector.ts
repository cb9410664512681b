import { randomUUID } from "node:crypto";
import type { Principal } from "../auth/principal";
import type { AuditRecord, ChangeNote, OperationInfo } from "./entry";

/**
 * What one request (or one push of a subscription) read and changed, noted while it executes and
 * taken once when it ends (`drain`) as one record: one READ entry per customer read, with every
 * personal field read, and one CHANGE entry per change. Noting a field is a map lookup and a set insertion, and
 * consecutive fields of one customer (the usual order of execution) skip the lookup.
 *
 * Lives on the request scope (src/customer360/scope.ts), so resolvers and services note into it
 * without knowing the transport; the transport drains it (src/server/audit.ts).
 */
export class AuditCollector {
  private reads = new Map<string, Set<string>>();
  private unmasked: Set<string> | null = null;
  private changes: ChangeNote[] = [];
  private lastCustomer: string | null = null;
  private lastFields: Set<string> | null = null;
  /** The operation, worked out once by the transport and kept for every push of a subscription. */
  operation: OperationInfo | null = null;

  /** `field` (a recorded name, see ./personal-data.ts) of customer `customerId` was read. */
  read(customerId: unknown, field: string): void {
    if (typeof customerId !== "string") return;
    if (customerId === this.lastCustomer && this.lastFields) {
      this.lastFields.add(field);
      return;
    }
    let fields = this.reads.get(customerId);
    if (!fields) {
      fields = new Set();
      this.reads.set(customerId, fields);
    }
    fields.add(field);
    this.lastCustomer = customerId;
    this.lastFields = fields;
  }

  /** The customer's whole MSISDN was shown (not masked). */
  unmaskedMsisdn(customerId: string): void {
    (this.unmasked ??= new Set()).add(customerId);
  }

  /** A change, once it is committed (a failed change is not one). */
  change(note: ChangeNote): void {
    this.changes.push(note);
  }

  get empty(): boolean {
    return this.reads.size === 0 && this.changes.length === 0;
  }

  /** What was noted since the last drain, as `principal`'s `operation` at `at` (null when nothing was); the collector starts afresh. */
  drain(principal: Principal, operation: OperationInfo, at: Date = new Date()): AuditRecord | null {
    if (this.empty) return null;
    const reads: AuditRecord["reads"] = [];
    for (const [customerId, fields] of this.reads) reads.push([customerId, [...fields].sort(), this.unmasked?.has(customerId) ? 1 : 0]);
    const record: AuditRecord = {
      request: randomUUID(),
      at: at.toISOString(),
      principalId: principal.id,
      principalRoles: [...principal.roles].sort(),
      operation: operation.name,
      operationType: operation.type,
      transport: operation.transport,
      subscription: operation.subscription,
      reads,
      changes: this.changes.map((c) => ({
        action: c.action,
        targetType: c.targetType,
        targetId: c.targetId,
        customerId: c.customerId ?? null,
        changeId: c.changeId ?? null,
        proposedBy: c.proposedBy ?? null,
        before: compactJson(c.before),
        after: compactJson(c.after),
      })),
    };
    this.reads = new Map();
    this.unmasked = null;
    this.changes = [];
    this.lastCustomer = null;
    this.lastFields = null;
    return record;
  }
}

/** JSON text without spaces (Dates as ISO text); null for a target that did not exist. */
function compactJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}
