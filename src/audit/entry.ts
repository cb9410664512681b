import type { AuditEntryWrite, AuditWrites } from "../graph/audit";

/**
 * The audit trail's lines: a read of one customer's personal data by one operation (or one push of
 * a subscription), or one change an operator made. Noted per request by the collector
 * (./collector.ts), queued in Redis as one record per request by the log (./log.ts), moved to the
 * graph by the writer (./writer.ts) as one `(:AuditRequest)` node for its reads and one
 * `(:AuditEntry)` per change (src/graph/audit.ts), served to ADMIN by `auditTrail`.
 */

export const AUDIT_KINDS = ["READ", "CHANGE"] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const TRANSPORTS = ["HTTP", "WS"] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const OPERATION_TYPES = ["QUERY", "MUTATION", "SUBSCRIPTION"] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

/** What the operation of an unnamed document is recorded as. */
export const ANONYMOUS_OPERATION = "anonymous operation";

/** The operation a request ran, as the transport saw it. */
export interface OperationInfo {
  /** The document's operation name, or {@link ANONYMOUS_OPERATION}. */
  name: string;
  type: OperationType;
  transport: Transport;
  /** For a subscription: its root field (e.g. "deskFeed"); each push it renders is audited on its own. */
  subscription: string | null;
}

/**
 * What one request (or one push) appends to the audit stream: its entries, with what they share
 * (who, when, which operation) said once. Entry ids are "<request>:<n>", n counting the reads, then
 * the changes: stable across retries, so the graph writes each once.
 */
export interface AuditRecord {
  /** A UUID per request (or push). */
  request: string;
  /** ISO 8601: when the answer (or the push) went out. */
  at: string;
  principalId: string;
  principalRoles: string[];
  operation: string;
  operationType: OperationType;
  transport: Transport;
  subscription: string | null;
  /** Per customer read: its id, the personal fields read (GraphQL names, sorted; ./personal-data.ts), 1 when the whole MSISDN was shown. */
  reads: Array<[customerId: string, fields: string[], msisdnUnmasked: 0 | 1]>;
  changes: ChangeRecord[];
}

/** A change as recorded: the target before and after as compact JSON text (null where it did not exist). */
export interface ChangeRecord {
  action: string;
  targetType: string;
  targetId: string;
  /** The customer the change is about, if any (respondToOffer). */
  customerId: string | null;
  /** Maker-checker (src/approval/): the change (CH…) proposed, decided or applied; null for a change made directly. Absent in records queued before it existed. */
  changeId?: string | null;
  /** Maker-checker: who proposed it (the approver, or whoever decided, is the entry's principal). */
  proposedBy?: string | null;
  before: string | null;
  after: string | null;
}

/**
 * What a record writes to the graph: its reads as one request node (none when it read nothing
 * personal), its changes as one entry node each. Entry ids are "<request>:<n>", n counting the
 * reads (the request node's positions), then the changes, as when every read was a node.
 */
export function writesOf(record: AuditRecord): AuditWrites {
  const { request, at, principalId, principalRoles, operation, operationType, transport, subscription } = record;
  const requests: AuditWrites["requests"] =
    record.reads.length === 0
      ? []
      : [
          {
            id: request, at, principalId, principalRoles, operation, operationType, transport, subscription,
            customerIds: record.reads.map(([customerId]) => customerId),
            fields: record.reads.map(([, fields]) => fields.join(",")),
            unmasked: record.reads.map(([, , unmasked]) => unmasked === 1),
          },
        ];
  const entries: AuditEntryWrite[] = record.changes.map((c, n) => ({
    id: `${request}:${record.reads.length + n}`,
    kind: "CHANGE", at, principalId, principalRoles, operation, operationType, transport, subscription, customerId: c.customerId, fields: [], msisdnUnmasked: false,
    action: c.action, targetType: c.targetType, targetId: c.targetId, changeId: c.changeId ?? null, proposedBy: c.proposedBy ?? null, before: c.before, after: c.after,
  }));
  return { requests, entries };
}

/** How many entries of the trail a record's writes stand for (a request node holds one per customer). */
export function entryCount(writes: AuditWrites): number {
  return writes.requests.reduce((n, r) => n + r.customerIds.length, 0) + writes.entries.length;
}

/** A change a service made, noted on the request's collector once it is committed. */
export interface ChangeNote {
  action: string;
  targetType: string;
  targetId: string;
  customerId?: string | null;
  /** Maker-checker: the change (CH…) this entry is part of; leave out for a change made directly. */
  changeId?: string | null;
  /** Maker-checker: who proposed the change. */
  proposedBy?: string | null;
  /** Anything JSON can hold (Dates become ISO text); undefined or null: did not exist. */
  before: unknown;
  after: unknown;
}
