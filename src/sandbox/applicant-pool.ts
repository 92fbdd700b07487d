import { Prng } from './prng.js';
import type { WorldConfig } from './world-config.js';

/** What an onboarding applicant presents (all the orchestration may see). */
export interface Applicant {
  applicantId: string;
  fullName: string;
  birthDate: string;
  documentType: 'passport' | 'id_card' | 'driving_licence';
  documentNumber: string;
  /** The plan the applicant asks for. */
  preferredPlanId: string;
}

/** The hidden truth about an applicant; the back ends answer from it, the oracle reveals it. */
export interface ApplicantTruth {
  identityValid: boolean;
  fraud: boolean;
  creditScore: number;
}

const FIRST = ['Ana', 'Ben', 'Chloé', 'David', 'Eva', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kemal', 'Lena', 'Mateo', 'Nora', 'Omar', 'Paula'];
const LAST = ['Almeida', 'Berger', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Horvat', 'Ivanova', 'Jansen', 'Kowalski', 'Laine', 'Moreau', 'Novak'];
const DOC_TYPES = ['passport', 'id_card', 'driving_licence'] as const;

/** Onboarding applicants, drawn on demand from the world's applicant mix. */
export class ApplicantPool {
  private readonly rng: Prng;
  private readonly truths = new Map<string, ApplicantTruth>();
  private readonly planIds: string[];
  private readonly planWeights: number[];
  private count = 0;

  constructor(
    private readonly cfg: WorldConfig,
    seed: number,
  ) {
    this.rng = new Prng(seed, 'applicants');
    const prefs = Object.entries(cfg.applicants.planPreferences).filter(([, w]) => w > 0);
    const source = prefs.length ? prefs : cfg.plans.map((p) => [p.id, p.share] as [string, number]);
    this.planIds = source.map(([id]) => id);
    this.planWeights = source.map(([, w]) => w);
  }

  /** Draws the next applicant. */
  next(): Applicant {
    const r = this.rng;
    const a = this.cfg.applicants;
    const n = ++this.count;
    const applicantId = 'A' + String(n).padStart(6, '0');
    const score = Math.round(Math.min(a.creditScore.max, Math.max(a.creditScore.min, a.creditScore.mean + a.creditScore.sd * r.normal())));
    const fraud = r.chance(a.fraudRate);
    this.truths.set(applicantId, { identityValid: !r.chance(a.identityInvalidRate), fraud, creditScore: fraud ? Math.min(score, 560) : score });
    const year = 1950 + r.int(55);
    return {
      applicantId,
      fullName: `${FIRST[r.int(FIRST.length)]} ${LAST[r.int(LAST.length)]}`,
      birthDate: `${year}-${String(1 + r.int(12)).padStart(2, '0')}-${String(1 + r.int(28)).padStart(2, '0')}`,
      documentType: DOC_TYPES[r.int(DOC_TYPES.length)],
      documentNumber: 'X' + String(r.nextU32()).padStart(10, '0'),
      preferredPlanId: this.planIds[r.weighted(this.planWeights)],
    };
  }

  /** The hidden truth of an applicant, or undefined for an unknown id. */
  truth(applicantId: string): ApplicantTruth | undefined {
    return this.truths.get(applicantId);
  }
}
