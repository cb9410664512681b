import type { PlanAdviceFieldsFragment } from "../../schema/generated/operations";
import { useI18n } from "./i18n";

/** Plan advice (套餐优化): the current plan, the one advised and the monthly difference. */
export function PlanAdvice({ advice }: { advice: PlanAdviceFieldsFragment }) {
  const { t } = useI18n();
  const diff = advice.recommended?.differenceYuan ?? 0;
  return (
    <div className="grid" data-testid="plan-advice">
      <dl className="kv">
        <dt>{t("advice.current")}</dt>
        <dd>
          {advice.current.plan.name} · ¥{advice.current.total.toFixed(2)}
        </dd>
        {advice.recommended && (
          <>
            <dt>{t("advice.recommended")}</dt>
            <dd>
              {advice.recommended.plan.name} · ¥{advice.recommended.total.toFixed(2)}
            </dd>
            <dt>{t("advice.difference")}</dt>
            <dd className={diff < 0 ? "ok" : "muted"} data-testid="advice-difference">
              {diff > 0 ? "+" : ""}
              {diff.toFixed(2)} {t("common.yuan")}
            </dd>
          </>
        )}
      </dl>
      <div className="muted">{advice.summary}</div>
    </div>
  );
}
