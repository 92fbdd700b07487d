import { ok, rejected } from '../../domain/connectors/connector-result.js';
import type { IdentityVerificationConnector } from '../../domain/connectors/identity-verification.js';
import type { ApplicantPool } from '../applicant-pool.js';
import type { Prng } from '../prng.js';
import type { BackendRuntime } from './backend-runtime.js';

/**
 * Sandbox identity verification: answers from the applicant's hidden truth. Invalid documents are
 * rejected; fraudsters pass the document check but score a higher, noisy fraud risk.
 */
export function sandboxIdentityVerification(rt: BackendRuntime, pool: ApplicantPool, rng: Prng): IdentityVerificationConnector {
  let n = 0;
  return {
    verify: (req) =>
      rt.call(req.idempotencyKey, () => {
        const truth = pool.truth(req.applicantId);
        if (!truth) return rejected('unknown_applicant');
        if (!truth.identityValid) return rejected('document_invalid');
        // Fraud signals are informative but not certain: risk ~ 0.7 +- 0.2 for fraud, 0.1 +- 0.1 otherwise.
        const risk = Math.min(1, Math.max(0, truth.fraud ? 0.7 + 0.2 * rng.normal() : 0.1 + 0.1 * rng.normal()));
        return ok({ verificationId: 'IDV-' + ++n, applicantId: req.applicantId, fraudRisk: Math.round(risk * 1000) / 1000 });
      }, { method: 'verify', request: req }),
  };
}
