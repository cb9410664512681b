import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { ContactPolicy, ContactPolicyInput } from "../schema/contact-policy.type";
import type { GatewayContext } from "../src/server/context";
import type { ContactPolicyConfig } from "../src/contact-policy/policy";
import { CHANNEL_CODES } from "../src/domain/vocabulary";

@Resolver(() => ContactPolicy)
export class ContactPolicyResolver {
  @Query(() => ContactPolicy, { description: "The contact policy in force (the built-in default until someone changes it)." })
  async contactPolicy(@Ctx() ctx: GatewayContext): Promise<ContactPolicy> {
    return view(await ctx.contactPolicy.current());
  }

  @Mutation(() => ContactPolicy, { description: "Changes the contact policy; every gateway replica applies it within a second." })
  async setContactPolicy(@Ctx() ctx: GatewayContext, @Arg("input", () => ContactPolicyInput) input: ContactPolicyInput): Promise<ContactPolicy> {
    return view(await ctx.contactPolicy.change(ctx, input));
  }
}

/** The stored shape keeps caps by channel; the schema lists them in catalogue order. */
function view(config: ContactPolicyConfig): ContactPolicy {
  const channelCaps = CHANNEL_CODES.flatMap((channel) => {
    const cap = config.channelCaps[channel];
    return cap ? [{ channel, ...cap }] : [];
  });
  return { ...config, channelCaps };
}
