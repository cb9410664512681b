import { hashText } from "../platform/hash";

/**
 * Control groups: a stable share of a strategy's targets is decided for but never contacted, so
 * uplift (what the contacted group did beyond the held-out one) can be measured. Membership is a
 * hash of strategy and customer, so it is the same on every replica and every call, needs no
 * storage, and is independent between strategies.
 */
export function inControlGroup(strategyId: string, customerId: string, share: number): boolean {
  if (share <= 0) return false;
  return hashText(`${strategyId}:${customerId}`) / 0x1_0000_0000 < share;
}
