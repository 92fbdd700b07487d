import { ok, rejected } from '../../domain/connectors/connector-result.js';
import type { CreditBureauConnector, CreditReport } from '../../domain/connectors/credit-bureau.js';
import type { ApplicantPool } from '../applicant-pool.js';
import type { BackendRuntime } from './backend-runtime.js';

/** Score bands: A from 740, B from 670, C from 580, D below. */
export function creditBand(score: number): CreditReport['band'] {
  return score >= 740 ? 'A' : score >= 670 ? 'B' : score >= 580 ? 'C' : 'D';
}

/** Sandbox credit bureau: the applicant's hidden credit score. */
export function sandboxCreditBureau(rt: BackendRuntime, pool: ApplicantPool): CreditBureauConnector {
  let n = 0;
  return {
    check: (req) =>
      rt.call(req.idempotencyKey, () => {
        const truth = pool.truth(req.applicantId);
        if (!truth) return rejected('no_credit_file');
        return ok({ reportId: 'CR-' + ++n, applicantId: req.applicantId, score: truth.creditScore, band: creditBand(truth.creditScore) });
      }, { method: 'check', request: req }),
  };
}
