/**
 * The graph of src/graph/model.ts described for the Neo4j GraphQL Library (v7): the same labels,
 * relationship types and properties our gateway reads, so both sides serve the unified view from
 * one database. Read-only on purpose: `@mutation(operations: [])` keeps the library from
 * generating any write, and the server never calls `assertIndexesAndConstraints`.
 *
 * Numbers that the seed may store as floats are `Float`; counts that are whole by construction
 * are `Int` (a whole-valued float serialises as an Int).
 */
export const LIBRARY_TYPE_DEFS = /* GraphQL */ `
  extend schema @mutation(operations: [])

  "A Neo4j DateTime, served as ISO-8601 by a resolver in Node (see IsoDateTime in neo4j-graphql-server.ts)."
  scalar IsoDateTime

  type Region @node {
    id: ID!
    name: String!
    level: String!
    parent: Region @relationship(type: "PART_OF", direction: OUT)
  }

  type Product @node {
    id: ID!
    code: String!
    name: String!
    kind: String!
    monthlyFee: Float!
    oneOffPrice: Float!
    network: String
    dataQuotaMb: Float!
    voiceMinutes: Float!
    validityHours: Float!
    description: String!
  }

  type Channel @node {
    code: String!
    name: String!
    outbound: Boolean!
    hasAgent: Boolean!
    push: Boolean!
  }

  type Tag @node {
    id: ID!
    code: String!
    name: String!
    level1: String!
    level2: String!
    definition: String!
    valueType: String!
    status: String!
  }

  type Group @node {
    id: ID!
    kind: String!
    name: String!
    members: [Customer!]! @relationship(type: "MEMBER_OF", direction: IN, properties: "MemberOf")
  }

  type Contact @node {
    id: ID!
    customerId: String!
    at: IsoDateTime!
    kind: String!
    summary: String!
    outcome: String
    channel: Channel @relationship(type: "VIA", direction: OUT)
    product: Product @relationship(type: "ABOUT", direction: OUT)
  }

  type Subscribes @relationshipProperties {
    since: IsoDateTime!
  }

  type HasTag @relationshipProperties {
    value: String
    score: Float
    at: IsoDateTime!
  }

  type Prefers @relationshipProperties {
    rank: Int!
  }

  type MemberOf @relationshipProperties {
    role: String!
  }

  type Calls @relationshipProperties {
    perMonth: Float!
  }

  type Customer @node {
    id: ID!
    msisdn: String!
    name: String!
    gender: String!
    age: Int!
    segment: String!
    regionId: String!
    tenureMonths: Int!
    arpu: Float!
    valueTier: String!
    lifecycleStage: String!
    creditScore: Int!
    terminalModel: String!
    terminalAgeMonths: Int!
    networkType: String!
    doNotDisturb: Boolean!
    dndList: String
    usageMonth: String!
    dataUsedMb: Float!
    dataQuotaMb: Float!
    voiceUsedMinutes: Float!
    voiceQuotaMinutes: Float!
    smsUsed: Float!
    avgDataMb3m: Float!
    avgVoiceMinutes3m: Float!
    avgSms3m: Float!
    roamingDays3m: Float!
    region: Region @relationship(type: "LIVES_IN", direction: OUT)
    subscriptions: [Product!]! @relationship(type: "SUBSCRIBES", direction: OUT, properties: "Subscribes")
    tags: [Tag!]! @relationship(type: "HAS_TAG", direction: OUT, properties: "HasTag")
    preferredChannels: [Channel!]! @relationship(type: "PREFERS", direction: OUT, properties: "Prefers")
    groups: [Group!]! @relationship(type: "MEMBER_OF", direction: OUT, properties: "MemberOf")
    calls: [Customer!]! @relationship(type: "CALLS", direction: OUT, properties: "Calls")
    calledBy: [Customer!]! @relationship(type: "CALLS", direction: IN, properties: "Calls")
    contacts: [Contact!]! @relationship(type: "HAD", direction: OUT)
  }
`;
