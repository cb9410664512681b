import type { ReferenceData } from "../customer360/reference";
import type { RequestScope } from "../customer360/scope";
import { isOutOfScope, type CustomerRecord } from "../graph/records";
import { planAdvice, productsToCheck, type PlanAdviceResult } from "./plan-advice";

/** The advice room's face: plan optimisation (套餐优化) for a customer. */
export class AdviceService {
  constructor(private readonly reference: ReferenceData) {}

  /** The cheapest plan for the customer's usage, or null when the customer holds no main plan. */
  async planAdvice(scope: RequestScope, c: CustomerRecord): Promise<PlanAdviceResult | null> {
    const [profile, products] = await Promise.all([c.profile ?? scope.loaders.customer.load(c.id).then((r) => (r && !isOutOfScope(r) ? r.profile : undefined)), this.reference.products()]);
    const heldIds = profile?.holdings.map((h) => h.productId) ?? [];
    // One batched round trip for all customers of the request; none when only a main plan is held.
    const toCheck = productsToCheck(heldIds, products);
    const found = await scope.loaders.related.REQUIRES.loadMany(toCheck);
    const requires = new Map<string, string[]>();
    toCheck.forEach((id, i) => {
      const targets = found[i];
      if (targets instanceof Error) throw targets;
      requires.set(id, targets?.map((p) => p.id) ?? []);
    });
    return planAdvice(c, heldIds, products, requires);
  }
}
