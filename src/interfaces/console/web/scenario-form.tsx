import { FILTER_OPS, newDraft, SCENARIO_KINDS, SEGMENT_BY, type ScenarioDraft, type ScenarioKind, type TargetCondition } from './scenario-draft';

type Edit = (change: Partial<ScenarioDraft>) => void;
type TextKey = { [K in keyof ScenarioDraft]: ScenarioDraft[K] extends string ? K : never }[keyof ScenarioDraft];

/** One labelled text or number field of a draft. */
function Field({ draft, edit, name, label, size = 6, hint }: { draft: ScenarioDraft; edit: Edit; name: TextKey; label: string; size?: number; hint?: string }) {
  return (
    <label title={hint}>
      {label} <input value={draft[name]} size={size} onInput={(e) => edit({ [name]: (e.target as HTMLInputElement).value } as Partial<ScenarioDraft>)} />
    </label>
  );
}

/** The target rule: conditions on twin features and live scores that all must hold (docs/filters.md). */
function Target({ draft, edit }: { draft: ScenarioDraft; edit: Edit }) {
  const set = (i: number, change: Partial<TargetCondition>) => edit({ target: draft.target.map((c, j) => (j === i ? { ...c, ...change } : c)) });
  return (
    <div class="target">
      <span>Who: </span>
      {draft.target.length === 0 && <span class="muted">every active customer </span>}
      {draft.target.map((c, i) => (
        <span key={i} class="condition">
          <label>
            Field <input value={c.field} size={20} list="target-fields" onInput={(e) => set(i, { field: (e.target as HTMLInputElement).value })} />
          </label>{' '}
          <label>
            Operator{' '}
            <select value={c.op} onChange={(e) => set(i, { op: (e.target as HTMLSelectElement).value as TargetCondition['op'] })}>
              {FILTER_OPS.map((op) => (
                <option key={op}>{op}</option>
              ))}
            </select>
          </label>{' '}
          <label>
            Value <input value={c.value} size={6} onInput={(e) => set(i, { value: (e.target as HTMLInputElement).value })} />
          </label>{' '}
          <button type="button" onClick={() => edit({ target: draft.target.filter((_, j) => j !== i) })}>
            Remove condition
          </button>
        </span>
      ))}
      <button type="button" onClick={() => edit({ target: [...draft.target, { field: 'churn', op: '>=', value: '0.05' }] })}>
        Add a condition
      </button>
    </div>
  );
}

/** The offer's terms and the priors on how customers answer it. */
function Offer({ draft, edit }: { draft: ScenarioDraft; edit: Edit }) {
  return (
    <div class="toolbar">
      <Field draft={draft} edit={edit} name="offerId" label="Offer id" size={12} />
      <Field draft={draft} edit={edit} name="discountPct" label="Discount %" size={4} />
      <Field draft={draft} edit={edit} name="offerMonths" label="for months" size={3} />
      <Field draft={draft} edit={edit} name="costPerAcceptance" label="Cost per acceptance" size={5} />
      <Field draft={draft} edit={edit} name="acceptance" label="Acceptance rate" size={5} hint="The share of customers contacted who accept (a pilot's estimate)" />
      <Field draft={draft} edit={edit} name="acceptanceSd" label="± sd" size={5} />
    </div>
  );
}

/** The fields only one kind of scenario has. */
function KindFields({ draft, edit }: { draft: ScenarioDraft; edit: Edit }) {
  switch (draft.kind) {
    case 'retention_campaign':
      return (
        <>
          <div class="toolbar">
            <label>
              Rank by{' '}
              <select value={draft.rank} onChange={(e) => edit({ rank: (e.target as HTMLSelectElement).value as ScenarioDraft['rank'] })}>
                <option value="churn_value">churn risk × value</option>
                <option value="uplift">expected uplift</option>
              </select>
            </label>
            <label>
              Size by{' '}
              <select value={draft.sizeBy} onChange={(e) => edit({ sizeBy: (e.target as HTMLSelectElement).value as ScenarioDraft['sizeBy'] })}>
                <option value="k">number of customers</option>
                <option value="budget">budget</option>
              </select>
            </label>
            {draft.sizeBy === 'k' ? <Field draft={draft} edit={edit} name="k" label="Customers" /> : <Field draft={draft} edit={edit} name="budget" label="Budget" />}
            <Field draft={draft} edit={edit} name="costPerContact" label="Cost per contact" size={4} />
            <Field draft={draft} edit={edit} name="controlShare" label="Control share" size={4} hint="Held out untreated to measure the effect" />
          </div>
          <Offer draft={draft} edit={edit} />
        </>
      );
    case 'offer_launch':
      return (
        <>
          <div class="toolbar">
            <Field draft={draft} edit={edit} name="channel" label="Channel" size={8} />
            <Field draft={draft} edit={edit} name="reach" label="Reach (share)" size={4} />
            <Field draft={draft} edit={edit} name="costPerContact" label="Cost per contact" size={4} />
          </div>
          <Offer draft={draft} edit={edit} />
        </>
      );
    case 'price_change':
      return (
        <div class="toolbar">
          <Field draft={draft} edit={edit} name="pricePct" label="Price change %" size={4} />
          <label>
            Churn response{' '}
            <select value={draft.response} onChange={(e) => edit({ response: (e.target as HTMLSelectElement).value as ScenarioDraft['response'] })}>
              <option value="estimated">as the churn model estimates</option>
              <option value="configured">a configured elasticity</option>
            </select>
          </label>
          {draft.response === 'configured' && (
            <>
              <Field draft={draft} edit={edit} name="elasticity" label="Elasticity" size={5} hint="log hazard change per +1 % of price" />
              <Field draft={draft} edit={edit} name="elasticitySd" label="± sd" size={5} />
            </>
          )}
        </div>
      );
    case 'network_improvement':
      return (
        <div class="toolbar">
          <Field draft={draft} edit={edit} name="incidentReductionPct" label="Fewer incidents %" size={4} />
          <Field draft={draft} edit={edit} name="cost" label="Cost" size={8} />
        </div>
      );
  }
}

/** A choice of the lab's kinds of scenario. */
export function KindSelect({ label, value, onChange }: { label: string; value: ScenarioKind; onChange: (kind: ScenarioKind) => void }) {
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value as ScenarioKind)}>
        {Object.entries(SCENARIO_KINDS).map(([k, text]) => (
          <option key={k} value={k}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

/** One scenario of the comparison, every field labelled. */
export function ScenarioFields({ draft, edit, remove, index }: { draft: ScenarioDraft; edit: Edit; remove?: () => void; index: number }) {
  return (
    <fieldset class="panel scenario" data-testid="scenario">
      <legend>Scenario {index + 1}</legend>
      <div class="toolbar">
        <KindSelect label="Kind" value={draft.kind} onChange={(kind) => edit(newDraft(kind, index + 1))} />
        <Field draft={draft} edit={edit} name="name" label="Name" size={24} />
        <Field draft={draft} edit={edit} name="horizonMonths" label="Months" size={3} />
        <label>
          Segments{' '}
          <select value={draft.segmentBy} onChange={(e) => edit({ segmentBy: (e.target as HTMLSelectElement).value as ScenarioDraft['segmentBy'] })}>
            {Object.entries(SEGMENT_BY).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <Field draft={draft} edit={edit} name="draws" label="Draws" size={4} hint="Monte Carlo draws: more, narrower intervals of the estimate itself" />
        {remove && (
          <button type="button" onClick={remove}>
            Remove scenario
          </button>
        )}
      </div>
      <Target draft={draft} edit={edit} />
      <KindFields draft={draft} edit={edit} />
    </fieldset>
  );
}
