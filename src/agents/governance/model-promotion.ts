import type { Actor } from '../../decisioning/policy/index.js';
import { TwinloopError } from '../../domain/errors.js';
import { CHURN_MODEL_NAME } from '../../intelligence/twin-training/train-churn-from-twins.js';
import type { ModelRegistry, ModelVersionInfo } from '../../store/model-registry.js';
import type { AuditTrail } from './audit-trail.js';

/** A reason is a sentence, not an essay: the audit trail and the models page show it whole. */
export const MAX_PROMOTION_REASON = 500;

/** Who made a version the champion, when and why: the `model.promoted` audit entry, as lists show it. */
export interface ModelPromotion {
  readonly by: Actor;
  readonly at: string;
  readonly reason: string;
  readonly previousChampion: string | null;
  readonly auditSeq: number;
}

/** The reason trimmed; BAD_INPUT saying what to write when it is blank or too long. */
export function checkPromotionReason(reason: string | undefined): string {
  const text = (reason ?? '').trim();
  if (!text) throw new TwinloopError('BAD_INPUT', 'reason: say why this version should serve (e.g. "higher AUC on the last 3 cutoffs, no drift"); it is kept in the audit trail');
  if (text.length > MAX_PROMOTION_REASON) throw new TwinloopError('BAD_INPUT', `reason: at most ${MAX_PROMOTION_REASON} characters (got ${text.length})`);
  return text;
}

/**
 * Makes a version the churn champion and records who did it and why in the audit trail
 * (`model.promoted`, with the champion it replaced): the one path the HTTP route and the command
 * line share, so a promotion is audited whichever door it came through. `promote` does the
 * switch (the live intelligence serves the new champion at once; the CLI's registry write is
 * picked up by a running server within a minute).
 */
export async function promoteWithReason(
  deps: { readonly registry: Pick<ModelRegistry, 'list'>; readonly promote: (id: string) => Promise<ModelVersionInfo>; readonly audit: Pick<AuditTrail, 'record'> },
  request: { readonly id: string; readonly reason: string; readonly actor: Actor },
): Promise<{ info: ModelVersionInfo; promotion: ModelPromotion }> {
  const reason = checkPromotionReason(request.reason);
  const previous = (await deps.registry.list()).find((v) => v.status === 'champion' && v.name === CHURN_MODEL_NAME)?.id ?? null;
  const info = await deps.promote(request.id);
  const previousChampion = previous === info.id ? null : previous;
  const r = await deps.audit.record({ type: 'model.promoted', actor: request.actor, target: { kind: 'model', id: info.id, previousChampion }, why: { summary: reason } });
  return { info, promotion: { by: request.actor, at: new Date(r.at).toISOString(), reason, previousChampion, auditSeq: r.seq } };
}
