import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import { ContactPolicy, ContactPolicyInput } from "../schema/contact-policy.type";
import { Change } from "../schema/approval.type";
import type { GatewayContext } from "../src/server/context";
import type { ChangeRecord } from "../src/approval/service";
import type { ContactPolicyConfig } from "../src/contact-policy/policy";
import { CHANNEL_CODES } from "../src/domain/vocabulary";

@Resolver(() => ContactPolicy)
export class ContactPolicyResolver {
  @Query(() => ContactPolicy, { description: "The contact policy in force (the built-in default until someone changes it)." })
  async contactPolicy(@Ctx() ctx: GatewayContext): Promise<ContactPolicy> {
    return view(await ctx.contactPolicy.current());
  }

  @Mutation(() => ContactPolicy, {
    description:
      "Proposes a change to the contact policy (maker-checker): merged and checked now (BAD_USER_INPUT naming the field and its range), stored as `pendingChange`, applied when another ADMIN approves it (approveChange); every replica then applies it within a second. Returns the policy as the change would make it.",
  })
  async setContactPolicy(@Ctx() ctx: GatewayContext, @Arg("input", () => ContactPolicyInput) input: ContactPolicyInput): Promise<PolicyView> {
    const proposed = await ctx.contactPolicyChanges.propose(ctx, input);
    return { ...view(proposed), pendingChange: proposed.pendingChange };
  }

  @FieldResolver(() => Change, {
    nullable: true,
    description: "The change to the policy awaiting approval, if any. On what setContactPolicy returns: the change it just proposed (the object shows the policy as that change would make it).",
  })
  pendingChange(@Root() policy: PolicyView, @Ctx() ctx: GatewayContext): Promise<ChangeRecord | null> | ChangeRecord {
    return policy.pendingChange ?? ctx.contactPolicyChanges.pending(ctx);
  }
}

/** A CONTACT_POLICY change's target as in force now. */
@Resolver(() => Change)
export class ChangeContactPolicyResolver {
  @FieldResolver(() => ContactPolicy, { nullable: true, description: "For a CONTACT_POLICY change: the policy as in force now." })
  async contactPolicy(@Root() c: ChangeRecord, @Ctx() ctx: GatewayContext): Promise<ContactPolicy | null> {
    return c.kind === "CONTACT_POLICY" ? view(await ctx.contactPolicy.current()) : null;
  }
}

type PolicyView = ContactPolicy & { pendingChange?: ChangeRecord };

/** The stored shape keeps caps by channel; the schema lists them in catalogue order. */
function view(config: ContactPolicyConfig): ContactPolicy {
  const channelCaps = CHANNEL_CODES.flatMap((channel) => {
    const cap = config.channelCaps[channel];
    return cap ? [{ channel, ...cap }] : [];
  });
  return { ...config, channelCaps };
}
