import type { CampaignSchedule, CampaignStatus, WaveAudience, WaveStatus, WorkOrderKind } from "../domain/campaigns";
import type { ChannelCode } from "../domain/vocabulary";
import { int, type Cypher } from "../platform/neo4j";

/**
 * Campaigns and their waves (src/campaigns/): every statement about them. Times are Neo4j
 * datetimes, read back as epoch milliseconds. A wave's members are frozen when it starts as the
 * bitmap of their customer idx (`members`, like a segment snapshot's), and its cursor (`lastIdx`,
 * `done` and the funnel counts) moves in the same transaction as each batch's decisions: a wave
 * resumed after a crash starts after the last committed batch.
 */

/** A campaign as read: the node's fields with dates, and its waves in order. */
export interface CampaignRecord {
  id: string;
  name: string;
  status: CampaignStatus;
  strategyId: string;
  strategyVersion: number | null;
  segmentId: string;
  membership: "SNAPSHOT" | "LIVE";
  schedule: CampaignSchedule;
  startAt: Date;
  endAt: Date | null;
  volumeCap: number | null;
  controlShare: number;
  owners: string[];
  alertResponseRate: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /**
   * When its evaluation report is produced: the response window after it finished (or was
   * cancelled after it started). Null before that, and again once the report is stored (`reportedAt`).
   */
  reportDueAt: Date | null;
  reportedAt: Date | null;
  /** The round of waves running (1 for the first; a DAILY or WEEKLY campaign adds rounds until endAt). */
  round: number;
  waves: WaveRecord[];
}

/** A wave as read. */
export interface WaveRecord {
  id: string;
  campaignId: string;
  index: number;
  round: number;
  channel: ChannelCode;
  workOrderKind: WorkOrderKind | null;
  delayDays: number;
  audience: WaveAudience;
  status: WaveStatus;
  dueAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  total: number;
  done: number;
  targeted: number;
  heldOut: number;
  contacted: number;
  /** The highest customer idx committed so far (-1 before the first batch). */
  lastIdx: number;
}

/** What a draft's waves are made of (ids and progress are the graph's). */
export type WaveDraft = Pick<WaveRecord, "index" | "channel" | "workOrderKind" | "delayDays" | "audience">;

/** A draft's own fields. */
export type CampaignDraft = Pick<
  CampaignRecord,
  "name" | "strategyId" | "segmentId" | "membership" | "schedule" | "startAt" | "endAt" | "volumeCap" | "controlShare" | "owners" | "alertResponseRate"
>;

export async function ensureCampaignSchema(graph: Cypher): Promise<void> {
  for (const statement of [
    "CREATE CONSTRAINT campaign_id IF NOT EXISTS FOR (c:Campaign) REQUIRE c.id IS UNIQUE",
    "CREATE CONSTRAINT wave_id IF NOT EXISTS FOR (w:Wave) REQUIRE w.id IS UNIQUE",
    "CREATE RANGE INDEX campaign_status IF NOT EXISTS FOR (c:Campaign) ON (c.status, c.createdAt)",
    "CREATE RANGE INDEX wave_status_due IF NOT EXISTS FOR (w:Wave) ON (w.status, w.dueAt)",
    "CREATE RANGE INDEX campaign_report_due IF NOT EXISTS FOR (c:Campaign) ON (c.reportDueAt)",
    "CREATE RANGE INDEX decision_wave IF NOT EXISTS FOR (d:Decision) ON (d.waveId)",
  ]) {
    await graph.write(statement);
  }
}

const WAVE_PROJECTION = `w {.id, .campaignId, .index, .channel, .workOrderKind, .delayDays, .audience, .status, .total, .done, .targeted, .heldOut, .contacted, .lastIdx,
  round: coalesce(w.round, 1), dueAt: w.dueAt.epochMillis, startedAt: w.startedAt.epochMillis, finishedAt: w.finishedAt.epochMillis}`;

// Named properties, not .*: a SNAPSHOT campaign's frozen member bitmap stays in the graph.
const CAMPAIGN_RETURN = `c {.id, .name, .status, .strategyId, .strategyVersion, .segmentId, .membership, .schedule, .volumeCap, .controlShare, .owners,
    .alertResponseRate, .createdBy, .round, startAt: c.startAt.epochMillis, endAt: c.endAt.epochMillis, createdAt: c.createdAt.epochMillis, updatedAt: c.updatedAt.epochMillis,
    startedAt: c.startedAt.epochMillis, finishedAt: c.finishedAt.epochMillis, reportDueAt: c.reportDueAt.epochMillis, reportedAt: c.reportedAt.epochMillis} AS c,
  [(c)-[:HAS_WAVE]->(w:Wave) | ${WAVE_PROJECTION}] AS waves`;

type Raw = Record<string, unknown>;

function date(v: unknown): Date | null {
  return typeof v === "number" ? new Date(v) : null;
}

function toWave(w: Raw): WaveRecord {
  return {
    id: w.id as string,
    campaignId: w.campaignId as string,
    index: w.index as number,
    round: (w.round as number | undefined) ?? 1,
    channel: w.channel as ChannelCode,
    workOrderKind: (w.workOrderKind as WorkOrderKind | undefined) ?? null,
    delayDays: w.delayDays as number,
    audience: w.audience as WaveAudience,
    status: w.status as WaveStatus,
    dueAt: date(w.dueAt),
    startedAt: date(w.startedAt),
    finishedAt: date(w.finishedAt),
    total: (w.total as number | undefined) ?? 0,
    done: (w.done as number | undefined) ?? 0,
    targeted: (w.targeted as number | undefined) ?? 0,
    heldOut: (w.heldOut as number | undefined) ?? 0,
    contacted: (w.contacted as number | undefined) ?? 0,
    lastIdx: (w.lastIdx as number | undefined) ?? -1,
  };
}

function toCampaign(row: { c: Raw; waves: Raw[] }): CampaignRecord {
  const c = row.c;
  return {
    id: c.id as string,
    name: c.name as string,
    status: c.status as CampaignStatus,
    strategyId: c.strategyId as string,
    strategyVersion: (c.strategyVersion as number | undefined) ?? null,
    segmentId: c.segmentId as string,
    membership: c.membership as "SNAPSHOT" | "LIVE",
    schedule: c.schedule as CampaignSchedule,
    startAt: date(c.startAt) as Date,
    endAt: date(c.endAt),
    volumeCap: (c.volumeCap as number | undefined) ?? null,
    controlShare: c.controlShare as number,
    owners: (c.owners as string[] | undefined) ?? [],
    alertResponseRate: (c.alertResponseRate as number | undefined) ?? 0,
    createdBy: c.createdBy as string,
    createdAt: date(c.createdAt) as Date,
    updatedAt: date(c.updatedAt) as Date,
    startedAt: date(c.startedAt),
    finishedAt: date(c.finishedAt),
    reportDueAt: date(c.reportDueAt),
    reportedAt: date(c.reportedAt),
    round: (c.round as number | undefined) ?? 1,
    waves: row.waves.map(toWave).sort((a, b) => a.round - b.round || a.index - b.index),
  };
}

function draftParams(d: CampaignDraft): Record<string, unknown> {
  return {
    name: d.name,
    strategyId: d.strategyId,
    segmentId: d.segmentId,
    membership: d.membership,
    schedule: d.schedule,
    startAt: d.startAt.toISOString(),
    endAt: d.endAt?.toISOString() ?? null,
    volumeCap: d.volumeCap === null ? null : int(d.volumeCap),
    controlShare: d.controlShare,
    owners: d.owners,
    alertResponseRate: d.alertResponseRate,
  };
}

function waveRows(campaignId: string, round: number, waves: readonly WaveDraft[]): Raw[] {
  return waves.map((w) => ({
    id: waveId(campaignId, round, w.index),
    index: int(w.index),
    round: int(round),
    channel: w.channel,
    workOrderKind: w.workOrderKind,
    delayDays: w.delayDays,
    audience: w.audience,
  }));
}

/** A wave's id: `<campaignId>-W<index>` in the first round, `<campaignId>-R<round>-W<index>` after. */
export function waveId(campaignId: string, round: number, index: number): string {
  return round === 1 ? `${campaignId}-W${index}` : `${campaignId}-R${round}-W${index}`;
}

const SET_DRAFT = `c.name = $d.name, c.strategyId = $d.strategyId, c.segmentId = $d.segmentId, c.membership = $d.membership, c.schedule = $d.schedule,
  c.startAt = datetime($d.startAt), c.endAt = CASE WHEN $d.endAt IS NULL THEN null ELSE datetime($d.endAt) END, c.volumeCap = $d.volumeCap,
  c.controlShare = $d.controlShare, c.owners = $d.owners, c.alertResponseRate = $d.alertResponseRate, c.updatedAt = datetime($now)`;

const CREATE_WAVES = `WITH c UNWIND $waves AS r
  CREATE (c)-[:HAS_WAVE]->(:Wave {id: r.id, campaignId: c.id, index: r.index, round: r.round, channel: r.channel, workOrderKind: r.workOrderKind,
    delayDays: r.delayDays, audience: r.audience, status: 'PLANNED', total: 0, done: 0, targeted: 0, heldOut: 0, contacted: 0, lastIdx: -1})`;

/**
 * Writes a new DRAFT with its waves and its RUNS / OVER relationships. `deployment` (the Redis key
 * prefix whose queue runs it) keeps two deployments that share a graph (test files in parallel)
 * from running each other's waves.
 */
export async function insertCampaign(graph: Cypher, id: string, d: CampaignDraft, waves: readonly WaveDraft[], createdBy: string, now: Date, deployment: string): Promise<void> {
  await graph.write(
    `MATCH (s:Strategy {id: $d.strategyId}), (g:Segment {id: $d.segmentId})
     CREATE (c:Campaign {id: $id, status: 'DRAFT', round: 1, createdBy: $createdBy, createdAt: datetime($now), deployment: $deployment})
     SET ${SET_DRAFT}
     CREATE (c)-[:RUNS]->(s), (c)-[:OVER]->(g)
     ${CREATE_WAVES}`,
    { id, d: draftParams(d), waves: waveRows(id, 1, waves), createdBy, now: now.toISOString(), deployment },
  );
}

/** Replaces a DRAFT's fields and waves; false when it is no longer a draft (or gone). */
export async function updateDraft(graph: Cypher, id: string, d: CampaignDraft, waves: readonly WaveDraft[], now: Date): Promise<boolean> {
  const rows = await graph.write<{ id: string }>(
    `MATCH (c:Campaign {id: $id}) WHERE c.status = 'DRAFT'
     MATCH (s:Strategy {id: $d.strategyId}), (g:Segment {id: $d.segmentId})
     OPTIONAL MATCH (c)-[old:RUNS|OVER]->()
     DELETE old
     WITH DISTINCT c, s, g
     OPTIONAL MATCH (c)-[:HAS_WAVE]->(w:Wave)
     DETACH DELETE w
     WITH DISTINCT c, s, g
     SET ${SET_DRAFT}
     CREATE (c)-[:RUNS]->(s), (c)-[:OVER]->(g)
     WITH c
     ${CREATE_WAVES}
     WITH DISTINCT c RETURN c.id AS id`,
    { id, d: draftParams(d), waves: waveRows(id, 1, waves), now: now.toISOString() },
  );
  return rows.length > 0;
}

export async function campaignsById(graph: Cypher, ids: readonly string[]): Promise<Map<string, CampaignRecord>> {
  const rows = await graph.read<{ c: Raw; waves: Raw[] }>(`MATCH (c:Campaign) WHERE c.id IN $ids RETURN ${CAMPAIGN_RETURN}`, { ids: [...ids] });
  return new Map(rows.map((r) => [r.c.id as string, toCampaign(r)]));
}

/** Campaigns newest first, optionally of one status, after a (createdAt ms, id) position. */
export async function campaignPage(graph: Cypher, status: CampaignStatus | null, after: [number, string] | null, limit: number): Promise<CampaignRecord[]> {
  const rows = await graph.read<{ c: Raw; waves: Raw[] }>(
    `MATCH (c:Campaign) WHERE ($status IS NULL OR c.status = $status)
       AND ($afterAt IS NULL OR c.createdAt.epochMillis < $afterAt OR (c.createdAt.epochMillis = $afterAt AND c.id < $afterId))
     WITH c ORDER BY c.createdAt DESC, c.id DESC LIMIT $limit
     RETURN ${CAMPAIGN_RETURN}`,
    { status, afterAt: after ? int(after[0]) : null, afterId: after?.[1] ?? null, limit: int(limit) },
  );
  return rows.map(toCampaign);
}

/**
 * Moves a campaign from one of `from` to `to`; the campaign after, or null when it was in none of
 * `from`. With `reportDueAt` (a cancellation), a campaign that had started is given its report's due time.
 */
export async function moveCampaign(graph: Cypher, id: string, from: readonly CampaignStatus[], to: CampaignStatus, now: Date, reportDueAt: Date | null = null): Promise<CampaignRecord | null> {
  const rows = await graph.write<{ c: Raw; waves: Raw[] }>(
    `MATCH (c:Campaign {id: $id}) WHERE c.status IN $from
     SET c.status = $to, c.updatedAt = datetime($now)
     FOREACH (_ IN CASE WHEN $reportDueAt IS NOT NULL AND c.startedAt IS NOT NULL THEN [1] ELSE [] END | SET c.reportDueAt = datetime($reportDueAt))
     WITH c RETURN ${CAMPAIGN_RETURN}`,
    { id, from: [...from], to, now: now.toISOString(), reportDueAt: reportDueAt?.toISOString() ?? null },
  );
  return rows[0] ? toCampaign(rows[0]) : null;
}

/** Approval (inside the approval's transaction): SUBMITTED → APPROVED with the strategy's version frozen. Null when not SUBMITTED. */
export async function approveCampaign(tx: Cypher, id: string, now: Date): Promise<{ strategyVersion: number } | null> {
  const rows = await tx.write<{ strategyVersion: number }>(
    `MATCH (c:Campaign {id: $id})-[:RUNS]->(s:Strategy) WHERE c.status = 'SUBMITTED'
     SET c.status = 'APPROVED', c.strategyVersion = coalesce(s.version, 1), c.updatedAt = datetime($now)
     RETURN c.strategyVersion AS strategyVersion`,
    { id, now: now.toISOString() },
  );
  return rows[0] ?? null;
}

/** Launch: APPROVED → RUNNING, the round's waves given their due times (wave N: the previous wave's due time + its delay). */
export async function launchCampaign(graph: Cypher, id: string, firstDue: Date, now: Date): Promise<CampaignRecord | null> {
  const rows = await graph.write<{ c: Raw; waves: Raw[] }>(
    `MATCH (c:Campaign {id: $id}) WHERE c.status = 'APPROVED'
     SET c.status = 'RUNNING', c.startedAt = datetime($now), c.updatedAt = datetime($now)
     WITH c
     CALL (c) {
       MATCH (c)-[:HAS_WAVE]->(w:Wave) WHERE coalesce(w.round, 1) = c.round
       WITH w ORDER BY w.index
       WITH collect(w) AS ws
       UNWIND range(0, size(ws) - 1) AS i
       WITH ws, i, reduce(d = 0.0, k IN range(0, i) | d + ws[k].delayDays) AS offset
       WITH ws[i] AS w, offset
       SET w.status = 'SCHEDULED', w.dueAt = datetime($firstDue) + duration({seconds: toInteger(round(offset * 86400))})
     }
     WITH c RETURN ${CAMPAIGN_RETURN}`,
    { id, firstDue: firstDue.toISOString(), now: now.toISOString() },
  );
  return rows[0] ? toCampaign(rows[0]) : null;
}

/** Waves due by `now` of the deployment's RUNNING campaigns, scheduled or left running (a crashed job's), oldest first. */
export async function dueWaves(graph: Cypher, now: Date, deployment: string, limit = 100): Promise<Array<{ waveId: string; campaignId: string }>> {
  return graph.read(
    `MATCH (w:Wave) WHERE w.status IN ['SCHEDULED', 'RUNNING'] AND w.dueAt <= datetime($now)
     MATCH (c:Campaign {id: w.campaignId}) WHERE c.status = 'RUNNING' AND coalesce(c.deployment, '') = $deployment
     RETURN w.id AS waveId, c.id AS campaignId ORDER BY w.dueAt LIMIT $limit`,
    { now: now.toISOString(), deployment, limit: int(limit) },
  );
}

/** Campaigns of the deployment whose report is due by `now` (ended a response window ago, not reported yet), oldest first. */
export async function dueReports(graph: Cypher, now: Date, deployment: string, limit = 100): Promise<string[]> {
  const rows = await graph.read<{ id: string }>(
    `MATCH (c:Campaign) WHERE c.reportDueAt <= datetime($now) AND coalesce(c.deployment, '') = $deployment
     RETURN c.id AS id ORDER BY c.reportDueAt LIMIT $limit`,
    { now: now.toISOString(), deployment, limit: int(limit) },
  );
  return rows.map((r) => r.id);
}

/** The campaign's report is stored: it leaves the due index. */
export async function markReported(graph: Cypher, id: string, now: Date): Promise<void> {
  await graph.write("MATCH (c:Campaign {id: $id}) WHERE c.reportDueAt IS NOT NULL SET c.reportedAt = datetime($now) REMOVE c.reportDueAt", { id, now: now.toISOString() });
}

/** What a wave job needs: the wave, its campaign, its frozen members (null before it started). */
export interface WaveState {
  wave: WaveRecord;
  campaign: CampaignRecord;
  members: Buffer | null;
  /** The ids of the campaign's waves before this one in its round (for the audience). */
  earlier: string[];
  /** The due time of the next wave of the round, if any (the story hold lasts until then). */
  nextDueAt: Date | null;
}

export async function waveState(graph: Cypher, waveId: string): Promise<WaveState | null> {
  const rows = await graph.read<{ c: Raw; waves: Raw[]; members: Buffer | null }>(
    `MATCH (c:Campaign)-[:HAS_WAVE]->(me:Wave {id: $waveId}) RETURN me.members AS members, ${CAMPAIGN_RETURN}`,
    { waveId },
  );
  const row = rows[0];
  if (!row) return null;
  const campaign = toCampaign(row);
  const wave = campaign.waves.find((w) => w.id === waveId) as WaveRecord;
  const sameRound = campaign.waves.filter((w) => w.round === wave.round);
  const next = sameRound.find((w) => w.index === wave.index + 1);
  return {
    wave,
    campaign,
    members: row.members ? Buffer.from(row.members) : null,
    earlier: sameRound.filter((w) => w.index < wave.index).map((w) => w.id),
    nextDueAt: next?.dueAt ?? null,
  };
}

/** Freezes a wave's members and starts it (once: a resumed wave keeps the members it started with). */
export async function startWave(graph: Cypher, waveId: string, members: Buffer, total: number, now: Date): Promise<void> {
  await graph.write(
    `MATCH (w:Wave {id: $waveId}) WHERE w.members IS NULL
     SET w.members = $members, w.total = $total, w.status = 'RUNNING', w.startedAt = datetime($now)`,
    { waveId, members, total: int(total), now: now.toISOString() },
  );
}

/** One member of a wave's batch: who it is, and what the campaign's earlier waves did with them. */
export interface WaveMember {
  idx: number;
  customerId: string;
  regionId: string;
  /** Contacted by one of `earlier`'s decisions. */
  contacted: boolean;
  /** Any of the campaign's decisions (earlier waves) has an outcome. */
  responded: boolean;
  accepted: boolean;
}

/** The customers at `idx`, with their history in the campaign's `earlier` waves: one statement per batch. */
export async function waveMembers(graph: Cypher, idx: readonly number[], earlier: readonly string[]): Promise<WaveMember[]> {
  return graph.read<WaveMember>(
    `UNWIND $idx AS i MATCH (c:Customer {idx: i})
     CALL (c) {
       OPTIONAL MATCH (d:Decision {customerId: c.id}) WHERE d.waveId IN $earlier
       RETURN coalesce(any(x IN collect(d.contacted) WHERE x), false) AS contacted,
              coalesce(any(x IN collect(d.outcome) WHERE x IS NOT NULL), false) AS responded,
              coalesce(any(x IN collect(d.outcome) WHERE x = 'ACCEPTED'), false) AS accepted
     }
     RETURN c.idx AS idx, c.id AS customerId, c.regionId AS regionId, contacted, responded, accepted ORDER BY idx`,
    { idx: idx.map(int), earlier: [...earlier] },
  );
}

/** Moves a wave's cursor after a batch (in the batch's transaction); a batch committed before (a retry) moves nothing. */
export async function advanceWave(tx: Cypher, waveId: string, lastIdx: number, n: { done: number; targeted: number; heldOut: number; contacted: number }): Promise<boolean> {
  const rows = await tx.write<{ id: string }>(
    `MATCH (w:Wave {id: $waveId}) WHERE w.lastIdx < $lastIdx
     SET w.lastIdx = $lastIdx, w.done = w.done + $done, w.targeted = w.targeted + $targeted, w.heldOut = w.heldOut + $heldOut, w.contacted = w.contacted + $contacted
     RETURN w.id AS id`,
    { waveId, lastIdx: int(lastIdx), done: int(n.done), targeted: int(n.targeted), heldOut: int(n.heldOut), contacted: int(n.contacted) },
  );
  return rows.length > 0;
}

/**
 * Finishes a wave (DONE, its member bitmap dropped). When it was the last of the round, the
 * campaign either starts its next round (`nextRound` given: its first due time) or FINISHES.
 * Returns whether the campaign finished now.
 */
export async function finishWave(graph: Cypher, waveId: string, now: Date, nextRoundDue: Date | null, reportDueAt: Date): Promise<{ roundDone: boolean; finished: boolean }> {
  const rows = await graph.write<{ roundDone: boolean; finished: boolean }>(
    `MATCH (c:Campaign)-[:HAS_WAVE]->(w:Wave {id: $waveId}) WHERE w.status <> 'DONE'
     SET w.status = 'DONE', w.finishedAt = datetime($now), w.members = null
     WITH c, w
     OPTIONAL MATCH (c)-[:HAS_WAVE]->(o:Wave) WHERE coalesce(o.round, 1) = coalesce(w.round, 1) AND o.status <> 'DONE'
     WITH c, w, count(o) AS open
     WITH c, w, open = 0 AND c.status IN ['RUNNING', 'PAUSED'] AS roundDone
     FOREACH (_ IN CASE WHEN roundDone AND $nextRoundDue IS NULL THEN [1] ELSE [] END |
       SET c.status = 'FINISHED', c.finishedAt = datetime($now), c.updatedAt = datetime($now), c.reportDueAt = datetime($reportDueAt))
     RETURN roundDone, roundDone AND $nextRoundDue IS NULL AS finished`,
    { waveId, now: now.toISOString(), nextRoundDue: nextRoundDue?.toISOString() ?? null, reportDueAt: reportDueAt.toISOString() },
  );
  return { roundDone: rows[0]?.roundDone ?? false, finished: rows[0]?.finished ?? false };
}

/** Adds the next round of a repeating campaign: its waves copied from round 1, scheduled from `firstDue`. */
export async function addRound(graph: Cypher, campaignId: string, round: number, firstDue: Date): Promise<void> {
  await graph.write(
    `MATCH (c:Campaign {id: $campaignId}) WHERE c.round < $round
     SET c.round = $round
     WITH c
     MATCH (c)-[:HAS_WAVE]->(t:Wave) WHERE coalesce(t.round, 1) = 1
     WITH c, t ORDER BY t.index
     WITH c, collect(t) AS ts
     UNWIND range(0, size(ts) - 1) AS i
     WITH c, ts[i] AS t, reduce(d = 0.0, k IN range(0, i) | d + ts[k].delayDays) AS offset
     CREATE (c)-[:HAS_WAVE]->(:Wave {id: $campaignId + '-R' + toString($round) + '-W' + toString(t.index), campaignId: c.id, index: t.index, round: $round,
       channel: t.channel, workOrderKind: t.workOrderKind, delayDays: t.delayDays, audience: t.audience, status: 'SCHEDULED',
       dueAt: datetime($firstDue) + duration({seconds: toInteger(round(offset * 86400))}), total: 0, done: 0, targeted: 0, heldOut: 0, contacted: 0, lastIdx: -1})`,
    { campaignId, round: int(round), firstDue: firstDue.toISOString() },
  );
}

/** The funnel's delivered count per wave (decisions a channel reported delivered). */
export async function deliveredByWave(graph: Cypher, waveIds: readonly string[]): Promise<Map<string, { delivered: number; failed: number; responded: number; ordered: number }>> {
  const rows = await graph.read<{ waveId: string; delivered: number; failed: number; responded: number; ordered: number }>(
    `UNWIND $waveIds AS wid
     OPTIONAL MATCH (d:Decision {waveId: wid})
     RETURN wid AS waveId, count(d.deliveredAt) AS delivered, count(d.deliveryFailed) AS failed,
       count(CASE WHEN d.outcome IS NOT NULL THEN 1 END) AS responded, count(CASE WHEN d.outcome = 'ACCEPTED' THEN 1 END) AS ordered`,
    { waveIds: [...waveIds] },
  );
  return new Map(rows.map((r) => [r.waveId, { delivered: r.delivered, failed: r.failed, responded: r.responded, ordered: r.ordered }]));
}

/** Records a channel's receipt on a campaign decision (the first receipt stands); false when there is no such campaign decision. */
export async function recordDelivery(graph: Cypher, decisionId: string, status: "DELIVERED" | "FAILED", reason: string | null, at: Date): Promise<boolean> {
  const rows = await graph.write<{ id: string }>(
    `MATCH (d:Decision {id: $decisionId}) WHERE d.campaignId IS NOT NULL
     FOREACH (_ IN CASE WHEN $status = 'DELIVERED' AND d.deliveredAt IS NULL AND d.deliveryFailed IS NULL THEN [1] ELSE [] END | SET d.deliveredAt = datetime($at))
     FOREACH (_ IN CASE WHEN $status = 'FAILED' AND d.deliveredAt IS NULL AND d.deliveryFailed IS NULL THEN [1] ELSE [] END | SET d.deliveryFailed = $reason)
     RETURN d.id AS id`,
    { decisionId, status, reason: reason ?? "FAILED", at: at.toISOString() },
  );
  return rows.length > 0;
}

/** The ids of strategies and segments that exist, with the strategy's status and whether it is event-triggered. */
export async function campaignRefs(graph: Cypher, strategyId: string, segmentId: string): Promise<{ strategy: { status: string; triggered: boolean; channels: string[] } | null; segment: boolean }> {
  const rows = await graph.read<{ strategy: { status: string; triggered: boolean; channels: string[] } | null; segment: boolean }>(
    `OPTIONAL MATCH (s:Strategy {id: $strategyId})
     OPTIONAL MATCH (g:Segment {id: $segmentId})
     RETURN CASE WHEN s IS NULL THEN null ELSE {status: s.status, triggered: s.triggerEventType IS NOT NULL, channels: [(s)-[:USES]->(ch:Channel) | ch.code]} END AS strategy, g IS NOT NULL AS segment`,
    { strategyId, segmentId },
  );
  return rows[0] ?? { strategy: null, segment: false };
}

/** A campaign's status alone (checked between a wave's batches: a pause stops the wave there). */
export async function campaignStatus(graph: Cypher, id: string): Promise<CampaignStatus | null> {
  const rows = await graph.read<{ status: CampaignStatus }>(`MATCH (c:Campaign {id: $id}) RETURN c.status AS status`, { id });
  return rows[0]?.status ?? null;
}

/** The contacted decisions of a wave on an outbox channel (re-published idempotently when a wave resumes after a crash). */
export async function contactedOfWave(graph: Cypher, waveId: string): Promise<Array<{ id: string; customerId: string; offerId: string }>> {
  return graph.read(`MATCH (d:Decision {waveId: $waveId}) WHERE d.contacted RETURN d.id AS id, d.customerId AS customerId, d.offerId AS offerId`, { waveId });
}
