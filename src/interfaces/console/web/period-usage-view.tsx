import { periodUsageLines, type AllowanceBand, type PeriodUsage } from './period-usage';

/** The colour of a use against its allowance: the churn-risk colours, over as high. */
const BAND_CLASS: Readonly<Record<AllowanceBand, string | undefined>> = { over: 'risk high', near: 'risk medium', within: undefined };

/**
 * The billing period running, as a list: the period, then data and voice against their
 * allowances (the customer page's panel and the care card both show it).
 */
export function PeriodUsageFacts({ usage }: { usage: PeriodUsage }) {
  const lines = periodUsageLines(usage);
  return (
    <dl class="facts" data-testid="period-usage">
      <dt>Period</dt>
      <dd>{lines.period}</dd>
      <dt>Data</dt>
      <dd class={BAND_CLASS[lines.data.band]}>{lines.data.text}</dd>
      <dt>Voice</dt>
      <dd class={BAND_CLASS[lines.voice.band]}>{lines.voice.text}</dd>
    </dl>
  );
}
