import type { ConnectorResult, Idempotent } from './connector-result.js';

/** The identity an applicant presents during onboarding. */
export interface IdentityClaim {
  applicantId: string;
  fullName: string;
  birthDate: string;
  documentType: 'passport' | 'id_card' | 'driving_licence';
  documentNumber: string;
}

/** A verified identity with the provider's fraud risk (0 = clean, 1 = certain fraud). */
export interface IdentityVerification {
  verificationId: string;
  applicantId: string;
  fraudRisk: number;
}

/**
 * Identity verification (document and liveness checks, KYC). A document that does not check out
 * is a permanent rejection (`document_invalid`); a verified identity still carries a fraud risk.
 */
export interface IdentityVerificationConnector {
  verify(request: Idempotent & IdentityClaim): Promise<ConnectorResult<IdentityVerification>>;
}
