/**
 * Our `UnifiedView` operation (schema/operations/unified-view.graphql) asked of the Neo4j GraphQL
 * Library's generated schema, as close as that schema allows. What cannot be the same:
 * - `usage` and `terminal` are computed objects on our side; here they are the raw properties.
 * - `region` is a LIVES_IN / PART_OF traversal here; ours reads a process-wide reference map.
 * - the circle: ours merges family, V-net, enterprise and calling ties into one list ranked by a
 *   combined strength; the library can only list each tie on its own, so this asks for the
 *   customer's groups with up to 10 other members each, and up to 10 CALLS each way by volume.
 * - contacts: ours seeks the (customerId, at) index backwards; the library expands HAD and sorts.
 * Orders are asked to match ours (holdings by `since`, tags by taxonomy, contacts newest first).
 */
export const LIBRARY_UNIFIED_VIEW = /* GraphQL */ `
  query UnifiedViewLibrary($id: ID!) {
    customers(where: { id: { eq: $id } }, limit: 1) {
      id
      msisdn
      name
      gender
      age
      segment
      region { id name level parent { id name parent { id name } } }
      tenureMonths
      arpu
      valueTier
      lifecycleStage
      creditScore
      doNotDisturb
      terminalModel
      terminalAgeMonths
      networkType
      usageMonth
      dataUsedMb
      dataQuotaMb
      voiceUsedMinutes
      voiceQuotaMinutes
      smsUsed
      avgDataMb3m
      avgVoiceMinutes3m
      avgSms3m
      roamingDays3m
      subscriptionsConnection(sort: [{ edge: { since: ASC } }, { node: { id: ASC } }]) {
        edges { properties { since } node { id code name kind monthlyFee network } }
      }
      tagsConnection(
        where: { node: { status: { eq: "PUBLISHED" } } }
        sort: [{ node: { level1: ASC } }, { node: { level2: ASC } }, { node: { id: ASC } }]
      ) {
        edges { properties { value score at } node { id code name level1 level2 definition } }
      }
      preferredChannelsConnection(sort: [{ edge: { rank: ASC } }]) {
        edges { node { code name } }
      }
      groups {
        id
        kind
        members(where: { NOT: { id: { eq: $id } } }, limit: 10, sort: [{ id: ASC }]) { id name valueTier }
      }
      callsConnection(first: 10, sort: [{ edge: { perMonth: DESC } }]) {
        edges { properties { perMonth } node { id name valueTier } }
      }
      calledByConnection(first: 10, sort: [{ edge: { perMonth: DESC } }]) {
        edges { properties { perMonth } node { id name valueTier } }
      }
      contactsConnection(first: 20, sort: [{ node: { at: DESC } }, { node: { id: DESC } }]) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges {
          cursor
          node { id at kind summary outcome channel { code name } product { id name kind } }
        }
      }
    }
  }
`;

interface CircleTie {
  properties: { perMonth: number };
  node: { id: string; name: string; valueTier: string };
}

/** The part of the library's answer that the bench compares with ours. */
export interface LibraryCustomerView {
  id: string;
  msisdn: string;
  subscriptionsConnection: { edges: Array<{ properties: { since: string }; node: { id: string } }> };
  tagsConnection: { edges: Array<{ properties: { value: string | null; score: number | null; at: string }; node: { id: string } }> };
  preferredChannelsConnection: { edges: Array<{ node: { code: string } }> };
  groups: Array<{ id: string; kind: string; members: Array<{ id: string }> }>;
  callsConnection: { edges: CircleTie[] };
  calledByConnection: { edges: CircleTie[] };
  contactsConnection: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ cursor: string; node: { id: string; at: string; channel: { code: string } | null; product: { id: string } | null } }>;
  };
}

/** The library's response body for {@link LIBRARY_UNIFIED_VIEW}. */
export interface LibraryUnifiedViewResult {
  customers: LibraryCustomerView[];
}
