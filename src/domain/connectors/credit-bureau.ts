import type { ConnectorResult, Idempotent } from './connector-result.js';

/** A credit report summary. */
export interface CreditReport {
  reportId: string;
  applicantId: string;
  /** Bureau score on its own scale (the sandbox uses 300..850). */
  score: number;
  /** A = best ... D = worst, from the score. */
  band: 'A' | 'B' | 'C' | 'D';
}

/** Credit bureau: scores an applicant. `no_credit_file` is a permanent rejection. */
export interface CreditBureauConnector {
  check(request: Idempotent & { applicantId: string; fullName: string; birthDate: string }): Promise<ConnectorResult<CreditReport>>;
}
