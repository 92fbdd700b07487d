import type { DecisionService } from '../../src/decisioning/decision-service.js';

/**
 * Opens offerings to every customer (eligibility `true`): for a test of another rule (consent, the
 * person on the line) on customers just registered, whom an offering's own rule would refuse first
 * (they run over no allowance and hold no plan; decision 0116 reads it before the contact rules).
 */
export async function openToEveryone(decisions: Pick<DecisionService, 'catalogueDocument' | 'putOffering'>, ...offerIds: string[]): Promise<void> {
  for (const id of offerIds) {
    const { document } = decisions.catalogueDocument();
    const offering = document.productOffering.find((o) => (o as { id?: string }).id === id);
    if (!offering) throw new Error(`no offering ${id} in the catalogue`);
    await decisions.putOffering({ ...offering, eligibility: 'true' });
  }
}
