import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';
import { hubListener } from './support/hub-listener.js';
import { officialContract } from './support/tmf-contract.js';
import { until } from './support/until.js';

const BASE = '/tmf-api/productOrderingManagement/v4';
type Json = Record<string, unknown>;

/**
 * TMF622 Product Ordering on the operator as `npm start` runs it: each kind of order (an add-on,
 * the termination of the line, a plan change) starts order fulfilment and has its effect on the
 * sandbox's back end and so on the twin; the order's state follows the flow; an order waiting for
 * its approval is cancelled (PATCH and cancelProductOrder), one in provisioning or done is not
 * (409); a new line for an applicant starts onboarding (identity, credit, provisioning) and the
 * order follows that run. Every answer is checked against the official specification with ajv.
 */
describe('TMF622 Product Ordering: order kinds and cancellation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-tmf622-'));
  const contract = officialContract();
  const problems: string[] = [];
  let running: RunningOperator;
  let admin: { authorization: string };
  const taken = new Set<string>();

  async function call(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, definition = 'ProductOrder') {
    const res = await fetch(`${running.base}${url.startsWith('/') && !url.startsWith('/tmf-api') ? BASE + url : url}`, {
      method,
      headers: { ...admin, ...(payload === undefined ? {} : { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }) },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    const body = (await res.json()) as Json & Json[];
    const what = `${method} ${url} → ${res.status}`;
    if (res.status >= 400) problems.push(...contract.check('TMF622', 'Error', body, what));
    else if (Array.isArray(body)) problems.push(...contract.checkList('TMF622', definition, { headers: res.headers, body }, what));
    else problems.push(...contract.check('TMF622', definition, body, what));
    return { status: res.status, body, headers: res.headers };
  }
  const view = (id: string) => running.operator.twins.engine.view(id);
  /** An active customer on a plan, not used by another case. */
  function activeCustomer(): string {
    for (let n = 1; n <= 800; n++) {
      const id = `C${String(n).padStart(6, '0')}`;
      if (taken.has(id) || view(id)?.features.churned !== 0) continue;
      if (!view(id)?.products.some((p) => p.kind === 'plan' && p.status === 'active')) continue;
      taken.add(id);
      return id;
    }
    throw new Error('no active customer left');
  }
  const order = (customerId: string, item: Json) => ({ relatedParty: [{ id: customerId, role: 'customer', '@referredType': 'Customer' }], channel: [{ id: 'web' }], productOrderItem: [{ id: '1', ...item }] });
  const settled = (id: string, states: readonly string[]) =>
    until(async () => {
      const read = await call('GET', `/productOrder/${id}`);
      return states.includes(String(read.body.state)) ? read.body : undefined;
    }, 60_000);

  beforeAll(async () => {
    running = await startSmallOperator(dir);
    admin = { authorization: `Bearer ${(await running.operator.auth.keys.create({ subject: 'tmf622-admin', role: 'admin' }, 'test')).key}` };
  }, 180_000);
  afterAll(async () => {
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an add-on order adds the add-on to the line: the twin holds it, TMF637 lists it', async () => {
    const customerId = activeCustomer();
    const placed = await call('POST', '/productOrder', order(customerId, { action: 'add', productOffering: { id: 'data-5gb' } }));
    expect(placed.status).toBe(201);
    expect(placed.headers.get('location')).toBe(placed.body.href);
    expect(placed.body).toMatchObject({ category: 'addOn', productOrderItem: [{ action: 'add', productOffering: { id: 'data-5gb' } }] });
    const done = await settled(String(placed.body.id), ['completed', 'failed', 'rejected']);
    expect(done.state).toBe('completed');
    await until(async () => (view(customerId)?.products.some((p) => p.kind === 'addon' && p.productId === 'data-5gb' && p.status === 'active') ? true : undefined), 20_000);
    const products = await fetch(`${running.base}/tmf-api/productInventory/v4/product?relatedParty.id=${customerId}`, { headers: admin }).then((r) => r.json() as Promise<Json[]>);
    expect(products.some((p) => p.name === 'data-5gb' && p.status === 'active')).toBe(true);
    // The same add-on again is refused by the back end: the order is rejected, saying why.
    const again = await call('POST', '/productOrder', order(customerId, { action: 'add', productOffering: { id: 'data-5gb' } }));
    const rejected = await settled(String(again.body.id), ['completed', 'failed', 'rejected']);
    expect(rejected).toMatchObject({ state: 'rejected', note: [{ text: expect.stringMatching(/addon_already_active/) }] });
    // An add-on or a plan the BSS does not sell is refused at once (400, TMF622's Error), naming it and listing those it sells; no order is taken.
    const before = (await call('GET', '/productOrder')).body.length;
    const unknown = await call('POST', '/productOrder', order(customerId, { action: 'add', productOffering: { id: 'free-phone' } }));
    expect(unknown).toMatchObject({ status: 400, body: { '@type': 'Error', message: 'productOrderItem[0].productOffering.id: "free-phone" is not an add-on the BSS sells; one of data-5gb (Extra 5 GB, 5.00 a month), voice-300 (Extra 300 minutes, 4.00 a month)' } });
    const noPlan = await call('POST', '/productOrder', order(customerId, { action: 'modify', productOffering: { id: 'unlimited-everything' } }));
    expect(noPlan).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^productOrderItem\[0\]\.productOffering\.id: "unlimited-everything" is not a plan the BSS sells; one of \S+ \(\d+\.\d\d a month\)/) } });
    expect((await call('GET', '/productOrder')).body.length).toBe(before);
    expect(problems).toEqual([]);
  });

  it('a termination order ends the line: the twin has churned, TMF629 says Terminated', async () => {
    const customerId = activeCustomer();
    const placed = await call('POST', '/productOrder', order(customerId, { action: 'delete' }));
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ category: 'termination', productOrderItem: [{ action: 'delete' }] });
    expect((await settled(String(placed.body.id), ['completed', 'failed', 'rejected'])).state).toBe('completed');
    await until(async () => (view(customerId)?.features.churned === 1 ? true : undefined), 20_000);
    const customer = await fetch(`${running.base}/tmf-api/customerManagement/v4/customer/${customerId}?fields=status`, { headers: admin }).then((r) => r.json() as Promise<Json>);
    expect(customer.status).toBe('Terminated');
    // A customer who has left orders nothing more.
    const after = await call('POST', '/productOrder', order(customerId, { action: 'add', productOffering: { id: 'voice-300' } }));
    expect((await settled(String(after.body.id), ['completed', 'failed', 'rejected'])).note).toEqual([expect.objectContaining({ text: expect.stringMatching(/customer_not_active/) })]);
    expect(problems).toEqual([]);
  });

  const planOf = (id: string) => view(id)!.products.find((p) => p.kind === 'plan' && p.status === 'active')!.productId;
  /** A postpaid plan the customer is not on: a change to their own plan changes nothing and never waits for an approval. */
  const anotherPlan = (id: string) => running.operator.world!.config.plans.find((p) => p.id !== planOf(id) && p.billing === 'postpaid')!.id;

  it('a plan change waiting for its approval is cancelled; a finished order is not', async () => {
    const customerId = activeCustomer();
    const onPlan = planOf(customerId);
    const placed = await call('POST', '/productOrder', order(customerId, { action: 'modify', productOffering: { id: anotherPlan(customerId) } }));
    // The default policy has a person approve plan changes: the order waits in progress.
    const approvalId = await until(async () => {
      const steps = (await running.operator.services.workflows.steps(String(placed.body.id))) ?? [];
      return (steps.find((s) => s.stepId === 'request-plan-change')?.output as { approvalId?: string } | null)?.approvalId;
    }, 30_000);
    expect((await call('GET', `/productOrder/${String(placed.body.id)}`)).body.state).toBe('inProgress');
    const bad = await call('PATCH', `/productOrder/${String(placed.body.id)}`, { state: 'cancelled', description: 'x' });
    expect(bad).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^description: /) } });
    const cancelled = await call('PATCH', `/productOrder/${String(placed.body.id)}`, { state: 'cancelled', cancellationReason: 'changed my mind' });
    expect(cancelled.status).toBe(200);
    // Cancelled, or being cancelled when the flow has not taken it within the answer's wait (a loaded machine).
    expect(['cancelled', 'pendingCancellation']).toContain(cancelled.body.state);
    expect(await settled(String(placed.body.id), ['cancelled', 'completed', 'failed', 'rejected'])).toMatchObject({ state: 'cancelled', cancellationReason: expect.stringMatching(/changed my mind/) });
    // Its approval was withdrawn, so nobody can carry the plan change out later; the plan stands.
    expect((await running.operator.services.approvals.get(approvalId))?.status).toBe('rejected');
    expect(view(customerId)!.products.find((p) => p.kind === 'plan' && p.status === 'active')!.productId).toBe(onPlan);
    expect(await call('PATCH', `/productOrder/${String(placed.body.id)}`, { state: 'cancelled' })).toMatchObject({ status: 409, body: { message: expect.stringMatching(/is cancelled/) } });

    // The task resource does the same for another waiting order.
    // Another customer, and a plan that is not theirs (the sandbox's world moves with the date of the run: on
    // 2026-12-05 the second customer was on the first one's new plan, and its order never waited).
    const secondCustomer = activeCustomer();
    const second = await call('POST', '/productOrder', order(secondCustomer, { action: 'modify', productOffering: { id: anotherPlan(secondCustomer) } }));
    await until(async () => ((await call('GET', `/productOrder/${String(second.body.id)}`)).body.state === 'inProgress' ? true : undefined), 30_000);
    const task = await call('POST', '/cancelProductOrder', { productOrder: { id: second.body.id }, cancellationReason: 'duplicate' }, 'CancelProductOrder');
    expect(task.status).toBe(201);
    expect(task.body).toMatchObject({ state: expect.stringMatching(/^(done|inProgress)$/), productOrder: { id: second.body.id } });
    expect((await settled(String(second.body.id), ['cancelled', 'completed', 'failed', 'rejected'])).state).toBe('cancelled');

    // A completed order (an add-on, carried out at once) is past cancelling.
    const addon = await call('POST', '/productOrder', order(activeCustomer(), { action: 'add', productOffering: { id: 'voice-300' } }));
    await settled(String(addon.body.id), ['completed']);
    expect(await call('PATCH', `/productOrder/${String(addon.body.id)}`, { state: 'cancelled' })).toMatchObject({ status: 409, body: { message: expect.stringMatching(/is completed/) } });
    expect((await call('PATCH', '/productOrder/order-nope', { state: 'cancelled' })).status).toBe(404);
    expect((await call('POST', '/productOrder', order(customerId, { action: 'noChange' }))).body.message).toMatch(/^productOrderItem\[0\]\.action: /);
    expect(problems).toEqual([]);
  });
  it('a new line for an applicant is onboarded: the order follows the run (identity, credit, provisioning) to a new customer, and its hub tells each state', async () => {
    const l = await hubListener();
    const reg = await call('POST', `${BASE}/hub`, { callback: l.url }, 'EventSubscription');
    expect(reg.status).toBe(201);
    const newLine = (applicant: Json, plan?: string) => ({
      relatedParty: [{ id: applicant.applicantId, role: 'applicant', '@referredType': 'Individual', '@type': 'TwinloopApplicant', name: applicant.fullName, birthDate: applicant.birthDate, documentType: applicant.documentType, documentNumber: applicant.documentNumber }],
      channel: [{ id: 'store' }],
      productOrderItem: [{ id: '1', action: 'add', ...(plan ? { productOffering: { id: plan } } : {}) }],
    });
    // Applicants as the sandbox's shop draws them: some may fail its identity or credit checks (their truth is hidden).
    const placed: Json[] = [];
    for (let n = 0; n < 4; n++) {
      const applicant = (await fetch(`${running.base}/sandbox/applicants`, { method: 'POST', headers: admin }).then((r) => r.json())) as Json;
      const res = await call('POST', '/productOrder', newLine(applicant, String(applicant.preferredPlanId)));
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(res.body.href);
      expect(res.body).toMatchObject({ category: 'newLine', state: expect.stringMatching(/^(acknowledged|inProgress)$/), productOrderItem: [{ action: 'add', productOffering: { id: applicant.preferredPlanId } }] });
      // The order names the applicant, without what they presented (kept on the onboarding run).
      expect(res.body.relatedParty).toEqual([expect.objectContaining({ id: applicant.applicantId, role: 'applicant' })]);
      expect(JSON.stringify(res.body)).not.toContain(String(applicant.documentNumber));
      placed.push(res.body);
    }
    // An applicant the identity service has never seen: the check refuses, the order fails saying why.
    const stranger = await call('POST', '/productOrder', newLine({ applicantId: 'A-nobody', fullName: 'No Body', birthDate: '1980-01-01', documentType: 'passport', documentNumber: 'P0' }));
    expect(stranger.status).toBe(201);
    const strangerDone = await settled(String(stranger.body.id), ['completed', 'failed', 'rejected', 'cancelled']);
    expect(strangerDone).toMatchObject({ state: 'failed', note: [{ text: expect.stringMatching(/verify-identity.*unknown_applicant/) }] });
    // A new line cannot be cancelled once asked for (onboarding has no cancellation): a 409 saying so.
    expect(await call('PATCH', `/productOrder/${String(stranger.body.id)}`, { state: 'cancelled' })).toMatchObject({ status: 409 });

    const done = await Promise.all(placed.map((p) => settled(String(p.id), ['completed', 'failed', 'rejected', 'cancelled'])));
    for (const order of done) {
      const run = await running.operator.services.workflows.get(String(order.id));
      expect(run?.definitionId).toBe('onboarding');
      expect(order.state).toBe(run?.status === 'succeeded' ? 'completed' : 'failed');
    }
    const completed = done.filter((o) => o.state === 'completed');
    expect(completed.length).toBeGreaterThan(0);
    for (const order of completed) {
      // The new customer is on the order, their line is its product, and the twin holds them.
      const customer = (order.relatedParty as Json[]).find((p) => p.role === 'customer')!;
      expect(customer).toMatchObject({ id: expect.stringMatching(/^C/), href: expect.stringContaining(`/tmf-api/customerManagement/v4/customer/${String(customer.id)}`) });
      const item = (order.productOrderItem as Json[])[0];
      expect(item).toMatchObject({ state: 'completed', product: { id: expect.stringContaining(`${String(customer.id)}:`), href: expect.stringContaining('/tmf-api/productInventory/v4/product/') } });
      const productHref = String((item.product as Json).href);
      const product = await until(async () => {
        const r = await fetch(productHref, { headers: admin });
        return r.status === 200 ? ((await r.json()) as Json) : undefined;
      }, 30_000, `the new line ${productHref} in the product inventory`);
      expect(product).toMatchObject({ status: 'active', name: (item.productOffering as Json).id });
    }
    // The listener was told of each order: created first, then every later state once, to the last.
    const told = (id: unknown) => l.got.filter((e) => (e.event as { productOrder?: Json }).productOrder?.id === id);
    await until(async () => (placed.every((p) => told(p.id).some((e) => ['completed', 'failed'].includes(String((e.event as { productOrder: Json }).productOrder.state)))) ? true : undefined), 30_000, 'each new line\'s final state at the listener');
    for (const p of placed) {
      const events = told(p.id);
      expect(events[0].eventType).toBe('ProductOrderCreateEvent');
      const states = events.map((e) => String((e.event as { productOrder: Json }).productOrder.state));
      expect(new Set(states).size).toBe(states.length);
      for (const e of events) problems.push(...contract.check('TMF622', String(e.eventType), e, String(e.eventType)));
    }
    expect((await fetch(`${running.base}${BASE}/hub/${String(reg.body.id)}`, { method: 'DELETE', headers: admin })).status).toBe(204);
    await l.close();

    // What is wrong with an applicant is said in the order's own terms.
    const missing = await call('POST', '/productOrder', { relatedParty: [{ id: 'A-x', role: 'applicant', '@referredType': 'Individual', name: 'X Y', documentType: 'passport', documentNumber: 'P1' }], productOrderItem: [{ id: '1', action: 'add' }] });
    expect(missing).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^relatedParty\[0\]\.birthDate: /) } });
    const modify = await call('POST', '/productOrder', { ...newLine({ applicantId: 'A-y', fullName: 'X Y', birthDate: '1980-01-01', documentType: 'passport', documentNumber: 'P2' }), productOrderItem: [{ id: '1', action: 'modify', productOffering: { id: 'x' } }] });
    expect(modify).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^productOrderItem\[0\]\.action: /) } });
    expect(problems).toEqual([]);
  });
});
