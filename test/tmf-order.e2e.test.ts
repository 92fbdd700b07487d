import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';
import { officialContract } from './support/tmf-contract.js';
import { until } from './support/until.js';

const BASE = '/tmf-api/productOrderingManagement/v4';
type Json = Record<string, unknown>;

/**
 * TMF622 Product Ordering on the operator as `npm start` runs it: each kind of order (an add-on,
 * the termination of the line, a plan change) starts order fulfilment and has its effect on the
 * sandbox's back end and so on the twin; the order's state follows the flow; an order waiting for
 * its approval is cancelled (PATCH and cancelProductOrder), one in provisioning or done is not
 * (409). Every answer is checked against the official specification with ajv.
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
    const unknown = await call('POST', '/productOrder', order(customerId, { action: 'add', productOffering: { id: 'free-phone' } }));
    expect((await settled(String(unknown.body.id), ['completed', 'failed', 'rejected'])).note).toEqual([expect.objectContaining({ text: expect.stringMatching(/unknown_addon/) })]);
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

  it('a plan change waiting for its approval is cancelled; a finished order is not', async () => {
    const customerId = activeCustomer();
    const onPlan = view(customerId)!.products.find((p) => p.kind === 'plan' && p.status === 'active')!.productId;
    const planId = running.operator.world!.config.plans.find((p) => p.id !== onPlan && p.billing === 'postpaid')!.id;
    const placed = await call('POST', '/productOrder', order(customerId, { action: 'modify', productOffering: { id: planId } }));
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
    const second = await call('POST', '/productOrder', order(activeCustomer(), { action: 'modify', productOffering: { id: planId } }));
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
});
