import DataLoader from "dataloader";
import type { Redis } from "ioredis";
import type { CampaignHooks, StoryHold, WorkOrderKind, WorkOrderRequest } from "../domain/campaigns";
import { OUTBOX_CHANNELS, type OutboxChannel } from "../domain/campaigns";
import type { ProfileStore } from "../customer360/profiles";
import type { Decider, DecisionScope } from "../decisioning/decide";
import { inControlGroup } from "../decisioning/control-group";
import { decisionInputs, writeDecisions, type DecisionInputRequest, type DecisionInputs, type DecisionWrite } from "../graph/decision";
import { addRound, advanceWave, campaignStatus, contactedOfWave, finishWave, startWave, waveMembers, waveState, type WaveMember, type WaveState } from "../graph/campaigns";
import { snapshotSegment } from "../graph/snapshots";
import type { MarketingCatalogue } from "../marketing/catalogue";
import { keys } from "../platform/keys";
import type { Logger } from "../platform/logger";
import type { Graph } from "../platform/neo4j";
import { redisCall } from "../platform/redis";
import { membersOf } from "../segments/preview/bits";
import type { SegmentPreviews } from "../segments/preview/service";
import type { CampaignConfig, WorkOrderSink } from "./config";

const DAY_MS = 86_400_000;
/** The story hold of a contacted member of a campaign's last wave. */
const LAST_WAVE_HOLD_MS = 7 * DAY_MS;
/** How long the per-wave record of what went to the outbox is kept (re-publishing after a crash reads it). */
const OUTBOXED_TTL_MS = 30 * DAY_MS;
const RESULT_TTL_MS = 120_000;

/**
 * XADDs each entry to the channel's outbox unless the wave's record says its decision went already:
 * once per decision, however often a batch is retried. KEYS: outbox stream, the wave's outboxed set.
 * ARGV: ttl ms, then per entry decisionId followed by its field/value count and pairs.
 */
const OUTBOX_SCRIPT = `
local n, sent, i = 0, 0, 2
while i <= #ARGV do
  local id = ARGV[i]
  local fields = tonumber(ARGV[i + 1])
  if redis.call('SADD', KEYS[2], id) == 1 then
    local args = {}
    for k = 1, fields do args[k] = ARGV[i + 1 + k] end
    redis.call('XADD', KEYS[1], '*', unpack(args))
    sent = sent + 1
  end
  i = i + 2 + fields
end
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return sent`;

/**
 * Grants contacts under a campaign's volume cap: each decision id once (a retried batch is granted
 * what it was granted before), new ones while the campaign's set holds fewer than the cap.
 * KEYS: the campaign's contacted set. ARGV: cap, then ids. Returns the granted ids.
 */
const CAP_SCRIPT = `
local cap = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('SISMEMBER', KEYS[1], id) == 1 then out[#out + 1] = id
  elseif redis.call('SCARD', KEYS[1]) < cap then redis.call('SADD', KEYS[1], id); out[#out + 1] = id end
end
return out`;

/** A wave's decision id: fixed per wave and customer, so a retried batch writes and contacts nobody twice. */
export function waveDecisionId(waveId: string, customerId: string): string {
  return `D-${waveId}-${customerId}`;
}

/** Who of a batch a wave reaches (the control group is held out in every wave whatever the audience). */
export function inAudience(audience: WaveState["wave"]["audience"], m: WaveMember): boolean {
  switch (audience) {
    case "ALL":
      return true;
    case "NOT_CONTACTED":
      return !m.contacted;
    case "CONTACTED_NOT_RESPONDED":
      return m.contacted && !m.responded;
    case "RESPONDED_NOT_ORDERED":
      return m.responded && !m.accepted;
  }
}

/**
 * Runs one wave to its end, batch after batch, resumable at any point: its members are frozen on
 * the wave when it starts; each batch (members in idx order) is decided, then written together
 * with the wave's cursor in one transaction; its outbox entries, story holds and work orders follow,
 * each idempotent per decision. A replica killed anywhere leaves a state the next attempt (BullMQ's
 * stalled-job recovery on another replica) continues from without deciding or contacting anyone twice.
 */
export class WaveRunner {
  /** The live decision profiles a wave's decisions read (set at wiring); null: the graph. */
  profiles: ProfileStore | null = null;

  constructor(
    private readonly graph: Graph,
    private readonly redis: Redis,
    private readonly decider: Decider,
    private readonly catalogue: MarketingCatalogue,
    private readonly previews: SegmentPreviews,
    private readonly hooks: CampaignHooks,
    private readonly sink: WorkOrderSink | null,
    private readonly config: CampaignConfig,
    private readonly log: Logger,
  ) {}

  /** Runs (or resumes) a wave; `progress` is told the share done after each batch. Returns without doing anything when it is done or its campaign is not RUNNING. */
  async run(waveId: string, progress: (done: number, total: number) => Promise<void> = () => Promise.resolve()): Promise<void> {
    const session = this.graph.backgroundSession(120_000);
    let state = await waveState(session, waveId);
    if (!state || state.wave.status === "DONE" || state.campaign.status !== "RUNNING") return;
    if (!state.members) {
      const bytes = await this.members(state);
      await startWave(session, waveId, bytes, membersOf(bytes).length, this.config.clock.now());
      state = (await waveState(session, waveId)) as WaveState;
    } else if (state.wave.lastIdx >= 0) {
      // Resumed after a crash: whatever the last committed batch had not yet handed to the outbox goes now (once per decision).
      await this.republish(state);
    }
    const idx = membersOf(state.members ?? Buffer.alloc(0));
    let start = idx.findIndex((i) => i > state.wave.lastIdx);
    if (start < 0) start = idx.length;
    let done = state.wave.done;
    while (start < idx.length) {
      if ((await campaignStatus(session, state.campaign.id)) !== "RUNNING") return; // paused or cancelled: resumed by the tick
      const batch = idx.slice(start, start + this.config.batch);
      start += batch.length;
      await this.batch(state, batch);
      done += batch.length;
      this.hooks.waveProgressed(state.campaign.id, waveId);
      await progress(done, idx.length);
      if (this.config.pauseMs > 0 && start < idx.length) await new Promise((r) => setTimeout(r, this.config.pauseMs));
    }
    await this.finish(state);
  }

  /** The wave's members: the segment now (LIVE), or the first wave's frozen members (SNAPSHOT). */
  private async members(state: WaveState): Promise<Buffer> {
    if (state.campaign.membership === "SNAPSHOT" && state.wave.index > 1) {
      const first = await this.graph.backgroundSession(60_000).read<{ members: Buffer | null }>(
        `MATCH (c:Campaign {id: $id}) RETURN c.members AS members`,
        { id: state.campaign.id },
      );
      if (first[0]?.members) return Buffer.from(first[0].members);
    }
    const segment = await snapshotSegment(this.graph.backgroundSession(60_000), state.campaign.segmentId);
    if (!segment) throw new Error(`segment ${state.campaign.segmentId} of campaign ${state.campaign.id} is gone`);
    const checked = await this.previews.check({ expression: segment.expression });
    const planned = await this.previews.plan(checked, this.previews.asOf(null));
    const resultKey = keys.segments.result(`wave:${state.wave.id}`);
    try {
      await this.previews.index.evaluate(planned, resultKey, RESULT_TTL_MS);
      const bytes = await this.previews.index.store.bytes(resultKey);
      if (state.campaign.membership === "SNAPSHOT") {
        await this.graph.backgroundSession(60_000).write(`MATCH (c:Campaign {id: $id}) WHERE c.members IS NULL SET c.members = $bytes`, { id: state.campaign.id, bytes });
      }
      return bytes;
    } finally {
      await this.previews.index.store.drop(resultKey).catch(() => undefined);
    }
  }

  /** One batch: one graph read for the members and their campaign history, one for the decision inputs, one transaction. */
  private async batch(state: WaveState, idx: readonly number[]): Promise<void> {
    const { campaign, wave } = state;
    const session = this.graph.backgroundSession(120_000);
    const members = await waveMembers(session, idx, state.earlier);
    const rows: DecisionWrite[] = [];
    const scope: DecisionScope = {
      inputs: new DataLoader<DecisionInputRequest, DecisionInputs | null, string>((reqs) => (this.profiles ? this.profiles.inputs(session, reqs) : decisionInputs(session, reqs)), { cacheKeyFn: (r) => `${r.customerId}|${r.productIds.join(",")}` }),
      write: (made) => {
        rows.push(...made);
        return Promise.resolve();
      },
    };
    const at = this.config.clock.now();
    const targeted = members.filter((m) => inAudience(wave.audience, m) || inControlGroup(campaign.id, m.customerId, campaign.controlShare));
    const context = (customerId: string) => ({
      at,
      push: true,
      campaign: {
        campaignId: campaign.id,
        waveId: wave.id,
        strategyId: campaign.strategyId,
        strategyVersion: campaign.strategyVersion ?? 1,
        controlShare: campaign.controlShare,
        decisionId: waveDecisionId(wave.id, customerId),
      },
    });
    await Promise.all(targeted.map((m) => this.decider.decide(scope, { customerId: m.customerId, channel: wave.channel, limit: 1, context: context(m.customerId) })));
    await this.capVolume(campaign.id, campaign.volumeCap, rows);
    const contacted = rows.filter((r) => r.contacted);
    await this.graph.transaction(async (tx) => {
      await writeDecisions(tx, rows);
      await advanceWave(tx, wave.id, idx[idx.length - 1] as number, { done: idx.length, targeted: targeted.length, heldOut: rows.filter((r) => r.controlGroup).length, contacted: contacted.length });
    });
    const regionOf = new Map(members.map((m) => [m.customerId, m.regionId]));
    await this.deliver(state, contacted.map((r) => ({ id: r.id, customerId: r.customerId, offerId: r.offerId, regionId: regionOf.get(r.customerId) ?? "" })), at);
  }

  /** Contacts beyond the campaign's volume cap are not made: they stay decided, uncontacted. */
  private async capVolume(campaignId: string, cap: number | null, rows: DecisionWrite[]): Promise<void> {
    if (cap === null) return;
    const ids = rows.filter((r) => r.contacted).map((r) => r.id);
    if (ids.length === 0) return;
    const granted = new Set((await redisCall(this.redis.eval(CAP_SCRIPT, 1, keys.campaigns.contacted(campaignId), cap, ...ids))) as string[]);
    for (const r of rows) {
      if (r.contacted && !granted.has(r.id)) {
        r.contacted = false;
        r.summary = `活动限量已满：${r.summary}（未触达）`;
      }
    }
  }

  /** Outbox entries (SMS, APP, WECHAT), story holds, and work orders (OUTBOUND_CALL, STORE) for the contacted decisions. */
  private async deliver(state: WaveState, contacted: Array<{ id: string; customerId: string; offerId: string; regionId: string }>, at: Date): Promise<void> {
    if (contacted.length === 0) return;
    const { campaign, wave } = state;
    const snapshot = await this.catalogue.snapshot();
    const text = (offerId: string): string => snapshot.offers.get(offerId)?.creatives[wave.channel] ?? snapshot.offers.get(offerId)?.name ?? offerId;
    if ((OUTBOX_CHANNELS as readonly string[]).includes(wave.channel)) {
      const args: string[] = [];
      for (const d of contacted) {
        const fields = ["decisionId", d.id, "customerId", d.customerId, "campaignId", campaign.id, "waveId", wave.id, "text", text(d.offerId)];
        args.push(d.id, String(fields.length), ...fields);
      }
      await redisCall(this.redis.eval(OUTBOX_SCRIPT, 2, keys.campaigns.outbox(wave.channel as OutboxChannel), keys.campaigns.outboxed(wave.channel, wave.id), OUTBOXED_TTL_MS, ...args));
    } else if (this.sink && (wave.channel === "OUTBOUND_CALL" || wave.channel === "STORE")) {
      const kind: WorkOrderKind = wave.workOrderKind ?? (wave.channel === "STORE" ? "STORE_VISIT" : "OUTBOUND_CALL");
      const dueAt = new Date(at.getTime() + 2 * DAY_MS).toISOString();
      const requests: WorkOrderRequest[] = contacted.map((d) => ({
        decisionId: d.id,
        customerId: d.customerId,
        regionId: d.regionId,
        kind,
        campaignId: campaign.id,
        waveId: wave.id,
        offerId: d.offerId,
        script: text(d.offerId),
        dueAt,
      }));
      await this.sink.open(requests);
    }
    // One story across channels: until the next wave is due (7 days after the last), every channel hears this offer first.
    const until = state.nextDueAt && state.nextDueAt.getTime() > at.getTime() ? state.nextDueAt : new Date(at.getTime() + LAST_WAVE_HOLD_MS);
    const ttl = Math.max(1_000, until.getTime() - at.getTime());
    const pipeline = this.redis.pipeline();
    for (const d of contacted) {
      const hold: StoryHold = { campaignId: campaign.id, waveId: wave.id, strategyId: campaign.strategyId, offerId: d.offerId, decisionId: d.id, until: until.toISOString() };
      pipeline.set(keys.campaigns.story(d.customerId), JSON.stringify(hold), "PX", ttl);
    }
    await redisCall(pipeline.exec());
  }

  /** After a crash: the wave's contacted decisions go to the outbox once more (the script skips those that went). */
  private async republish(state: WaveState): Promise<void> {
    const contacted = await contactedOfWave(this.graph.backgroundSession(60_000), state.wave.id);
    if (contacted.length === 0 || !(OUTBOX_CHANNELS as readonly string[]).includes(state.wave.channel)) return;
    await this.deliver(state, contacted.map((d) => ({ ...d, regionId: "" })), this.config.clock.now());
  }

  /** Marks the wave DONE; the round's last wave starts the next round of a repeating campaign or finishes it. */
  private async finish(state: WaveState): Promise<void> {
    const { campaign, wave } = state;
    const roundStart = campaign.waves.find((w) => w.round === wave.round && w.index === 1)?.dueAt ?? this.config.clock.now();
    const period = campaign.schedule === "DAILY" ? DAY_MS : campaign.schedule === "WEEKLY" ? 7 * DAY_MS : 0;
    const next = period > 0 ? new Date(roundStart.getTime() + period) : null;
    const nextRoundDue = next && campaign.endAt && next.getTime() < campaign.endAt.getTime() ? next : null;
    // One transaction: the campaign is never seen with its round done and the next one missing.
    const { finished } = await this.graph.transaction(async (tx) => {
      const now = this.config.clock.now();
      const result = await finishWave(tx, wave.id, now, nextRoundDue, this.reportDueAfter(now));
      if (result.roundDone && nextRoundDue) await addRound(tx, campaign.id, wave.round + 1, nextRoundDue);
      return result;
    });
    if (finished) this.log.info({ campaignId: campaign.id, reportDueAt: this.reportDueAfter(this.config.clock.now()) }, "campaign finished; its report waits out the response window");
  }

  /** When the report of a campaign ending at `end` is due: the evaluation centre's response window later (the scheduler's tick queues it then). */
  reportDueAfter(end: Date): Date {
    return new Date(end.getTime() + this.hooks.reportDelayDays * DAY_MS);
  }
}
