import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { Revocation, Session } from "../schema/session.type";
import type { SessionInfo } from "../src/auth/sessions";
import type { GatewayContext } from "../src/server/context";

@Resolver()
export class SessionResolver {
  @Query(() => [Session], { description: "Open WebSocket sessions on every replica, newest first; of one principal when `principalId` is given." })
  sessions(@Ctx() ctx: GatewayContext, @Arg("principalId", () => ID, { nullable: true }) principalId?: string | null): Promise<SessionInfo[]> {
    return ctx.sessions.list(principalId);
  }

  @Mutation(() => Revocation, {
    description:
      "Ends a principal's sessions: every token of that subject issued up to now is refused from now on (UNAUTHENTICATED) on every replica, and its open sockets are closed with 4403. New tokens work again.",
  })
  async revokeSessions(@Arg("principalId", () => ID) principalId: string, @Ctx() ctx: GatewayContext): Promise<Revocation> {
    return { principalId, revokedAt: await ctx.sessions.revoke(principalId, ctx.audit) };
  }
}
