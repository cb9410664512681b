/**
 * What personal data is, for the audit trail: the object types of the API that are about one
 * customer, each with the property of its value that names the customer (the subject) and the
 * fields that merely identify (reading those alone reads nothing about the person).
 *
 * Deny by default, as the permission matrix is: EVERY other field of these types is personal, so
 * a field added to `Customer` tomorrow is audited without anyone remembering to list it. What a
 * nested object holds (a holding's product, a tag's value, a trajectory entry) is recorded as the
 * customer field it was reached through (`subscriptions`, `tags`, `contacts`), so a read is one
 * entry per customer with the customer's own field names.
 *
 *   Customer    name, gender, age, segment, tenureMonths, arpu, valueTier, lifecycleStage,
 *               creditScore, doNotDisturb, msisdn, region, usage, terminal, subscriptions, tags,
 *               preferredChannels, circle (who the person calls and lives with), contacts (the
 *               trajectory), nextBestOffers, planAdvice: everything but `id`. A circle member is a
 *               Customer too: reading a member's name is a read of the member's data, audited
 *               under the member's id.
 *   Decision    an offer decided for the person: propensity, score, reasons (which tags and
 *               attributes made it), outcome, … profile the person; not `id`, `customerId`.
 *   LiveOffer   a push to the person: the event behind it (where they are, what they used), their
 *               district, the channel; not `cursor`, `customerId`.
 *   DeskUpdate  a call on an agent's desk: the headline (name, masked number, tier, ARPU), the
 *               event, the call id, the offers; not `cursor`, `agentId`, `customerId`.
 *   SegmentMember  a member of a preview's sample or a snapshot's page: name, number, region,
 *               tier, ARPU; not `id`. (A CSV export is audited as one EXPORT entry with its rows.)
 *
 * Not personal: the catalogue and configuration (Product, Channel, Region, Tag as a definition,
 * Offer, Strategy, Segment, ContactPolicy), the event pipeline's state, and the audit trail itself
 * (who read whom, not what they read; ADMIN only).
 *
 * Names are GraphQL names; this module knows no GraphQL (the server's adapter wraps the fields).
 */
export interface PersonalType {
  /** The property of the resolved value (the field's parent) that holds the customer's id. */
  subject: string;
  /** Fields that only identify; everything else of the type is personal. */
  identifiers: readonly string[];
  /** How its fields are recorded: Customer's by their own names ("name"), the others' as "Type.field". */
  qualified: boolean;
}

export const PERSONAL_TYPES: Readonly<Record<string, PersonalType>> = {
  Customer: { subject: "id", identifiers: ["id"], qualified: false },
  Decision: { subject: "customerId", identifiers: ["id", "customerId"], qualified: true },
  LiveOffer: { subject: "customerId", identifiers: ["cursor", "customerId"], qualified: true },
  DeskUpdate: { subject: "customerId", identifiers: ["cursor", "agentId", "customerId"], qualified: true },
  SegmentMember: { subject: "id", identifiers: ["id"], qualified: true },
};

/** The field `field` of type `type` as the audit trail records it, or null when reading it reads nothing personal. */
export function recordedFieldName(type: string, field: string): string | null {
  const spec = PERSONAL_TYPES[type];
  if (!spec || spec.identifiers.includes(field) || field.startsWith("__")) return null;
  return spec.qualified ? `${type}.${field}` : field;
}
