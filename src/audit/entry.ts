/**
 * One line of the audit trail: a read of one customer's personal data by one operation (or one
 * push of a subscription), or one change an operator made. Built per request by the collector
 * (./collector.ts), queued in Redis by the log (./log.ts), moved to the graph as `(:AuditEntry)`
 * by the writer (./writer.ts), served to ADMIN by `auditTrail`.
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

export interface AuditEntry {
  /** Unique and stable across retries (the graph writes each id once): "<request uuid>:<n>". */
  id: string;
  kind: AuditKind;
  at: Date;
  principalId: string;
  principalRoles: string[];
  operation: string;
  operationType: OperationType;
  transport: Transport;
  subscription: string | null;
  /** READ: whose data was read. CHANGE: the customer the change is about, if any (respondToOffer). */
  customerId: string | null;
  /** READ: the personal fields read, as GraphQL field names (./personal-data.ts), sorted. */
  fields: string[];
  /** READ: the full MSISDN was shown (the principal holds pii:read). */
  msisdnUnmasked: boolean;
  /** CHANGE: what was done ("updateStrategy"), to what ("Strategy", "ST12"). */
  action: string | null;
  targetType: string | null;
  targetId: string | null;
  /** CHANGE: the target before and after, as compact JSON text; null where it did not exist. */
  before: string | null;
  after: string | null;
}

/** A change a service made, noted on the request's collector once it is committed. */
export interface ChangeNote {
  action: string;
  targetType: string;
  targetId: string;
  customerId?: string | null;
  /** Anything JSON can hold (Dates become ISO text); undefined or null: did not exist. */
  before: unknown;
  after: unknown;
}
