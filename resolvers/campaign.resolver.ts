import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { Campaign, CampaignConnection, CampaignStatusEnum, CampaignSubmission, Wave, WaveFunnel } from "../schema/campaign.type";
import { CampaignInput } from "../schema/campaign.inputs";
import type { GatewayContext } from "../src/server/context";
import type { CampaignStatus } from "../src/domain/campaigns";
import type { CampaignConnection as Page, CampaignRecord, WaveFunnel as Funnel, WaveRecord } from "../src/campaigns/service";
import type { ChangeRecord } from "../src/graph/approval";

@Resolver(() => Campaign)
export class CampaignResolver {
  @Query(() => Campaign, { nullable: true, description: "One campaign with its waves, their progress and funnels (null: no such campaign)." })
  campaign(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<CampaignRecord | null> {
    return ctx.campaigns.campaign(ctx, id);
  }

  @Query(() => CampaignConnection, { description: "Campaigns newest first, optionally of one status (`first` 1 to 100)." })
  campaigns(
    @Ctx() ctx: GatewayContext,
    @Arg("status", () => CampaignStatusEnum, { nullable: true }) status?: CampaignStatus | null,
    @Arg("first", () => Int, { defaultValue: 20 }) first = 20,
    @Arg("after", () => String, { nullable: true }) after?: string | null,
  ): Promise<Page> {
    return ctx.campaigns.campaigns(ctx, status ?? null, first, after ?? null);
  }

  @Mutation(() => Campaign, { description: "Creates a DRAFT campaign with its waves." })
  createCampaign(@Arg("input", () => CampaignInput) input: CampaignInput, @Ctx() ctx: GatewayContext): Promise<CampaignRecord> {
    return ctx.campaigns.create(ctx, input);
  }

  @Mutation(() => Campaign, { description: "Replaces a DRAFT campaign (fields and waves); BAD_USER_INPUT once submitted." })
  updateCampaign(@Arg("id", () => ID) id: string, @Arg("input", () => CampaignInput) input: CampaignInput, @Ctx() ctx: GatewayContext): Promise<CampaignRecord> {
    return ctx.campaigns.update(ctx, id, input);
  }

  @Mutation(() => CampaignSubmission, { description: "DRAFT → SUBMITTED: a CAMPAIGN change that an APPROVER other than the submitter approves with approveChange (→ APPROVED)." })
  async submitCampaign(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<{ campaign: CampaignRecord; pendingChange: ChangeRecord }> {
    const { campaign, change } = await ctx.campaigns.submit(ctx, id);
    return { campaign, pendingChange: change };
  }

  @Mutation(() => Campaign, { description: "APPROVED → RUNNING: the first wave is due at startAt (now if that has passed), each next one its delay later." })
  launchCampaign(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<CampaignRecord> {
    return ctx.campaigns.launch(ctx, id);
  }

  @Mutation(() => Campaign, { description: "RUNNING → PAUSED: the running wave stops after its current batch; due waves wait." })
  pauseCampaign(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<CampaignRecord> {
    return ctx.campaigns.pause(ctx, id);
  }

  @Mutation(() => Campaign, { description: "PAUSED → RUNNING: waiting waves run, a paused wave resumes where it stopped." })
  resumeCampaign(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<CampaignRecord> {
    return ctx.campaigns.resume(ctx, id);
  }

  @Mutation(() => Campaign, { description: "Cancels a campaign that has not finished: nothing more is decided or sent." })
  cancelCampaign(@Arg("id", () => ID) id: string, @Ctx() ctx: GatewayContext): Promise<CampaignRecord> {
    return ctx.campaigns.cancel(ctx, id);
  }

  @FieldResolver(() => [Wave], { description: "Every wave, by round and index." })
  waves(@Root() c: CampaignRecord): Array<WaveRecord & { campaign: CampaignRecord }> {
    // each wave carries its campaign record, so their funnels share one read
    return c.waves.map((w) => ({ ...w, campaign: c }));
  }
}

@Resolver(() => Wave)
export class WaveResolver {
  @FieldResolver(() => WaveFunnel, { description: "targeted, heldOut, contacted as the wave counted them; delivered, responded, ordered as they came back." })
  async funnel(@Root() w: WaveRecord & { campaign: CampaignRecord }, @Ctx() ctx: GatewayContext): Promise<Funnel> {
    const funnels = await ctx.campaigns.funnels(ctx, w.campaign);
    return funnels.get(w.id) as Funnel;
  }
}
