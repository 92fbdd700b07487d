import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONSOLE_DIR, loadConsoleAssets } from '../src/interfaces/console/console-assets.js';
import { money, setCurrency } from '../src/interfaces/console/web/format.js';
import type { Operator } from '../src/interfaces/runtime/operator.js';
import { browserAvailable, launchBrowser, RESULTS_DIR } from './support/browser.js';
import { startSmallOperator, type RunningOperator } from './support/small-operator.js';
import { until } from './support/until.js';

type Json = Record<string, unknown>;
interface CardAction {
  actionId: string;
  name?: string;
  decisionId?: string;
}

const available = browserAvailable();
if (!available.ok) console.warn(`console browser tests skipped: ${available.why}`);

/**
 * How long a person's wait may last before the test gives up: generous, since at load 30 on two
 * cores a page, a simulation or a flow takes many times its quiet-machine time. Waits end as soon
 * as what they wait for is there; no test asserts a time.
 */
const WAIT_MS = 60_000;
/** A journey's whole budget: several such waits and the server work between them. */
const JOURNEY_MS = 360_000;
/** The wait for work the server does at length while the person watches: a simulation run, an intent's plan (simulated too). */
const SLOW_MS = 180_000;

/**
 * Waits until `target` is visible (Playwright's own wait); on a timeout, fails saying what was
 * waited for, on which page, and what `shows` (the elements the person would look at) showed then.
 */
async function visible(target: Locator, what: string, shows: Locator = target, waitMs = WAIT_MS): Promise<void> {
  try {
    await target.waitFor({ state: 'visible', timeout: waitMs });
  } catch (err) {
    const texts = await shows.allInnerTexts().catch(() => [] as string[]);
    const saw = texts.length === 0 ? 'nothing there' : texts.slice(0, 5).map((t) => JSON.stringify(t.replace(/\s+/g, ' ').slice(0, 160))).join(', ');
    throw new Error(`waited ${waitMs / 1000} s on ${target.page().url()} for ${what}; saw ${saw}`, { cause: err });
  }
}

/** Waits for an element matching `selector` (and showing `hasText`, when given). */
const seen = (page: Page, selector: string, hasText?: string | RegExp, waitMs = WAIT_MS) =>
  visible(page.locator(selector, hasText === undefined ? {} : { hasText }).first(), `${selector}${hasText === undefined ? '' : ` showing ${String(hasText)}`}`, page.locator(selector), waitMs);

/**
 * The operator console in a real browser (Debian's Chromium driven by playwright-core) against
 * the operator `npm start` assembles, on the sandbox's small world: what each person sees and
 * does, and the effect in the server. Writes a screenshot of every page and the first-load
 * times to test-results/console/ (git-ignored) for a reviewer and BENCHMARKS.md.
 */
describe.skipIf(!available.ok)('the operator console in a browser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinloop-console-e2e-'));
  let running: RunningOperator;
  let operator: Operator;
  let base: string;
  let browser: Browser;
  /** Script errors of any page: a page that throws fails the test it was opened in. */
  const pageErrors: string[] = [];

  /** The API as the first start's admin (the test's own set-up and its checks of the server), or as the holder of `key`. */
  async function api<T = Json>(method: string, path: string, body?: unknown, key = operator.firstAdminKey!.key): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as T };
  }
  const now = () => new Date(operator.world!.clock.now()).toISOString();
  let seq = 0;
  const event = (customerId: string, kind: string, data: Json) => ({ id: `console-e2e-${++seq}`, kind, customerId, time: now(), source: 'console-e2e', v: 1, data });
  /**
   * A call a person takes, held for 15 minutes of people's time: at the world's 3,600x, a call whose
   * end is never seen counts as ended 2 h of its time (2 s) after it began, before anyone reads its card.
   */
  const personsCall = (intent: string): Json => ({ channel: 'call', intent, phase: 'start', endsBy: new Date(operator.world!.clock.now() + 15 * 60_000 * 3600).toISOString() });

  /**
   * A person at the console, signed in: an API key of their own with `role`, exchanged on the
   * sign-in page (the link the first start prints, `/sign-in#key=…`) for a session cookie in
   * their own browser context; the page then opens `path`.
   */
  const keys = new Map<string, string>();
  /** The API key of `subject` with `role`, made once. */
  async function keyOf(subject: string, role: string): Promise<string> {
    if (!keys.has(subject)) {
      const created = await api<{ key: string }>('POST', '/keys', { subject, role });
      expect(created.status, `a ${role} key for ${subject}`).toBe(201);
      keys.set(subject, created.body.key);
    }
    return keys.get(subject)!;
  }

  /** A managed campaign of two variants ticking every simulated hour (a real second at 3,600×), started once. */
  const CAMPAIGN = 'e2e-campaign';
  let campaignStarted = false;
  async function ensureCampaign(): Promise<void> {
    if (campaignStarted) return;
    const input = { campaignId: CAMPAIGN, variants: [{ id: 'discount-app', offerId: 'retain-10', channel: 'app' }, { id: 'bonus-app', offerId: 'data-bonus', channel: 'app' }], budget: 400, audience: [], endAt: operator.world!.clock.now() + 30 * 86_400_000, tickMs: 3_600_000 };
    const started = await api('POST', '/workflows/campaign-management/start', { input, workflowId: `campaign-${CAMPAIGN}` });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    campaignStarted = true;
    await until(async () => ((await api<{ allocation: unknown[] }>('GET', `/campaigns/${CAMPAIGN}`)).body.allocation.length >= 2 ? true : undefined), WAIT_MS, `two ticks of ${CAMPAIGN}`);
  }

  async function signedIn(subject: string, role: string, path: string): Promise<Page> {
    const key = await keyOf(subject, role);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Every click, fill and navigation waits as long as the test's own waits.
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
    await page.goto(`${base}/sign-in?next=${encodeURIComponent(path)}#key=${key}`);
    await page.waitForURL(`${base}${path}`);
    await seen(page, '.who', subject);
    return page;
  }

  beforeAll(async () => {
    if (!loadConsoleAssets().index) throw new Error(`the console is not built (${DEFAULT_CONSOLE_DIR}): run npm run build first (npm test does)`);
    running = await startSmallOperator(dir);
    ({ operator, base } = running);
    browser = await launchBrowser();
  }, 360_000);
  afterEach(() => {
    expect(pageErrors.splice(0), 'script errors on the pages').toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await running?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a care agent accepts an offer on a live call, sees the policy's answer, and finds the offer on the customer's timeline", async () => {
    // A customer on a call whose card carries an offer the sandbox's back ends present: over their
    // allowance (the data bonus fits) and, as the CRM now records, consenting to marketing.
    // (A presented upgrade is left out: accepting one fails today, the plan to move to is not named; see the report of issue 14.)
    const presentable = new Set((await api<Json[]>('GET', '/productOffering')).body.filter((o) => o.sandboxOfferId && o.actionClass !== 'plan_change').map((o) => String(o.id)));
    const candidates = (await api<{ items: { customerId: string }[] }>('GET', '/twins?months_over_allowance_3m.gte=1&active_plans.gte=1&payments_failed_90d.eq=0&limit=100')).body.items;
    let chosen: { customerId: string; offer: CardAction } | undefined;
    for (const { customerId } of candidates.slice(0, 40)) {
      const { profile } = (await api<{ profile: Json }>('GET', `/twins/${customerId}`)).body;
      const consent = event(customerId, 'customer', { segment: profile.segment, billing: profile.billing, contractMonths: profile.contractMonths, paymentMethod: profile.paymentMethod, since: profile.since, consent: { marketing: true, sms: true } });
      await api('POST', '/events', [consent, event(customerId, 'interaction', personsCall('billing_question'))]);
      const card = (await api<{ actions: CardAction[] }>('GET', `/assist/cards/${customerId}?channel=call`)).body;
      const offer = card.actions.find((a) => presentable.has(a.actionId) && a.decisionId);
      if (offer) {
        chosen = { customerId, offer };
        break;
      }
      await api('POST', '/events', [event(customerId, 'interaction', { channel: 'call', intent: 'billing_question', phase: 'end' })]);
    }
    expect(chosen, 'a customer of the small world whose card offers a presentable offer').toBeDefined();
    const { customerId, offer } = chosen!;

    // The desktop joins while the call is on: the call's card is there at once.
    const page = await signedIn('agent-e2e', 'care_agent', '/console/assist');
    await seen(page, '[data-testid=desktop-status]', 'listening on call');
    // A care agent's header holds a care agent's pages: no approvals to decide, no models to train.
    const nav = await page.getByRole('navigation', { name: 'Pages' }).innerText();
    expect(nav).toContain('Agent desktop');
    expect(nav).not.toMatch(/Approvals|Models|Audit/);
    // One clock, labelled: the sandbox's simulated time (the world's, which acts are dated by), live.
    expect(await page.getByTestId('clock-label').innerText()).toBe('Simulated clock (3,600× real time)');
    // It keeps up with the world (an hour a real second): read every second, never ahead of the world. Read with
    // the pages' numbers every 5 s it stood up to 5 h behind, the same time shown for five of these looks.
    const looks: string[] = [];
    for (let i = 0; i < 8; i++) {
      const shown = Date.parse((await page.getByTestId('event-clock').innerText()).replace(' UTC', ':00Z').replace(' ', 'T'));
      expect(shown).toBeLessThanOrEqual(operator.world!.clock.now());
      looks.push(String(shown));
      await page.waitForTimeout(1_000);
    }
    expect(new Set(looks).size, `the header's times over 8 s: ${looks.map((t) => new Date(Number(t)).toISOString()).join(', ')}`).toBeGreaterThanOrEqual(4);
    // The call waits in the queue until the agent takes it: then its full card opens.
    await page.getByRole('button', { name: `Take ${customerId}` }).click();
    const card = page.locator('[data-testid=assist-card]', { hasText: customerId }).first();
    await visible(card, `the card of ${customerId}`, page.getByTestId('assist-card'));
    expect(await card.locator('p.muted', { hasText: 'started' }).innerText()).toMatch(/^started \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    // What the customer has used so far this billing period, against the allowance (they run over it).
    expect(await card.getByTestId('period-usage').innerText()).toMatch(/Data\s+[\d,.]+ MB of [\d,]+ MB \(\d+(\.\d)? %\)/);
    // "Do nothing" is no action: nothing to accept.
    expect(await card.locator('li.action', { hasText: 'Do nothing' }).getByRole('button').count()).toBe(0);
    const row = card.locator('li.action', { hasText: offer.name ?? offer.actionId });
    await row.getByRole('button', { name: 'Accept' }).click();
    await visible(row.locator('p.outcome, p.error').first(), "the policy's answer to Accept");
    // The customer's yes, heard on the line: said as done, what was booked, and what their acceptance cost (not "on the customer's acceptance", still to come).
    const answer = await row.locator('p.outcome, p.error').first().innerText();
    expect(answer).toMatch(/^Done, the customer accepted: .+, booked as the customer's yes, recorded by agent-e2e on the call in progress since \S+ · cost €\d+\.\d\d/);
    expect(answer).toContain(`accepted: ${offer.name ?? offer.actionId}, booked`);
    expect(answer).not.toContain("on the customer's acceptance");

    // Accept is the customer's yes on the line: the back end booked it accepted on the call, naming
    // the agent, not presented for the customer to answer again (who would often leave it unanswered).
    const answers = await until(async () => {
      const { items } = (await api<{ items: { kind: string; event: { data: Json } }[] }>('GET', `/twins/${customerId}/timeline?limit=1000`)).body;
      const mine = items.filter((i) => i.kind === 'offer' && i.event.data.offerId === offer.actionId && i.event.data.channel === 'call');
      return mine.some((i) => i.event.data.action === 'accepted') ? mine.map((i) => [i.event.data.action, i.event.data.by ?? null]) : undefined;
    }, WAIT_MS, `${offer.actionId} accepted on call on ${customerId}'s timeline`);
    expect(answers).toEqual([
      ['presented', null],
      ['accepted', 'agent-e2e'],
    ]);
    // The twin counts it: an offer accepted.
    const features = (await api<{ features: Json }>('GET', `/twins/${customerId}`)).body.features;
    expect(features.offers_accepted_90d).toBeGreaterThanOrEqual(1);
    // The agent, signed in, is the actor the audit trail records for it.
    // (The desktop's card is its own decision, made when it joined: found by customer and offer.)
    const trail = (await api<{ entry: { type: string; requestId: string; actor: { kind: string; id: string }; action: { customerId: string } } }[]>('GET', '/audit?limit=1000')).body;
    const requested = trail.filter((r) => r.entry.type === 'action.requested' && r.entry.action.customerId === customerId && r.entry.requestId.endsWith(`:${offer.actionId}`));
    expect(requested.map((r) => r.entry.actor)).toEqual([{ kind: 'human', id: 'agent-e2e' }]);

    // And the agent sees it there: the customer's page, from the card.
    await card.getByRole('link', { name: customerId }).click();
    await seen(page, '[data-testid=timeline] li.act', `offer ${offer.actionId} presented`);
    await seen(page, '[data-testid=timeline] li.act', `offer ${offer.actionId} accepted on call, recorded by agent-e2e`);
    // The action and the answers to it name the decision that ties them together.
    await seen(page, '[data-testid=timeline] li.act', new RegExp(`action \\w+ ${offer.actionId} presented on \\w+.*\\(decision [0-9a-f-]+\\)`));
    // Each line says its kind once: the label, then the rest ("offer offer data-bonus accepted" read the kind twice).
    expect(await page.getByTestId('timeline').innerText()).not.toMatch(/\b(offer offer|action action|outcome outcome|usage usage|bill bill|payment payment|ticket ticket)\b/);
    // How the customer responds to offers, with its uncertainty, now holds this offer (docs/learning.md).
    await seen(page, '[data-testid=response-classes] li', /persuadable \d+(\.\d)? %/);
    expect(await page.locator('section[aria-labelledby=responds-title]').innerText()).toMatch(/From \d+ offers? made to this customer[\s\S]*data bonus\s+\d+(\.\d)? % \(\d+(\.\d)? % to \d+(\.\d)? %\)/);
    await page.screenshot({ path: join(RESULTS_DIR, 'journey-agent-timeline.png'), fullPage: true });
    // The call over, the card reopened by its link: no call in progress, and what was decided on the call and came of it (it read "call · unknown").
    await api('POST', '/events', [event(customerId, 'interaction', { channel: 'call', intent: 'billing_question', phase: 'end' })]);
    await page.goto(`${base}/console/assist?customer=${customerId}&channel=call`);
    const reopened = page.locator('[data-testid=assist-card]', { hasText: customerId }).first();
    await visible(reopened, `the card of ${customerId} reopened`, page.getByTestId('assist-card'));
    expect(await reopened.locator('h2').innerText()).toContain(`${customerId} · call · no call in progress`);
    expect(await reopened.getByTestId('earlier-decisions').innerText()).toMatch(new RegExp(`on call \\(billing question\\): ${offer.actionId} accepted, \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC`));
    // Nobody on the line: no Accept (the customer's yes), and the card says why; an action may be presented for the customer to answer.
    expect(await reopened.getByTestId('not-on-line').innerText()).toMatch(/^No call in progress: the customer is not on the line, so nothing here is booked as their yes/);
    expect(await reopened.getByRole('button', { name: 'Accept' }).count()).toBe(0);
    const present = reopened.getByRole('button', { name: 'Present to the customer' });
    expect(await present.count()).toBe(await reopened.locator('li.action', { hasNotText: 'Do nothing' }).count());
    if ((await present.count()) > 0) {
      await present.first().click();
      // The server books no yes either, and its answer says why, first.
      await seen(page, '[data-testid=accept-answer]', new RegExp(`^Not booked as the customer's yes: decision [0-9a-f-]+ was made on a card opened with no call of ${customerId} in progress: the offer is presented for the customer to answer`));
    }
    await page.screenshot({ path: join(RESULTS_DIR, 'journey-agent-card-reopened.png'), fullPage: true });
    // Approvals by URL: the page says a care agent does not see them, and shows none of their facts (the server refuses them).
    await page.goto(`${base}/console/approvals`);
    await seen(page, '[data-testid=no-access]', /^Approvals is for a supervisor, .* \(permission approvals:read\): a care agent may not use it, so this page asks the server nothing/);
    expect(await page.locator('[data-testid=approval], [data-testid=decided], [role=alert]').count()).toBe(0);
    await page.context().close();
  }, JOURNEY_MS);

  it("a care agent declines a recommended action, is asked why, and the reason is on the customer's timeline and in the audit trail", async () => {
    // A customer on a call whose card recommends something (any action but doing nothing).
    let chosen: { customerId: string; action: CardAction } | undefined;
    for (const { customerId } of (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&churned.eq=0&limit=40')).body.items.slice(5)) {
      await api('POST', '/events', [event(customerId, 'interaction', personsCall('plan_question'))]);
      const card = (await api<{ actions: CardAction[] }>('GET', `/assist/cards/${customerId}?channel=call`)).body;
      const action = card.actions.find((a) => a.decisionId && a.actionId !== 'do-nothing');
      if (action) {
        chosen = { customerId, action };
        break;
      }
      await api('POST', '/events', [event(customerId, 'interaction', { channel: 'call', intent: 'plan_question', phase: 'end' })]);
    }
    expect(chosen, 'a customer of the small world whose card recommends an action').toBeDefined();
    const { customerId, action } = chosen!;
    const page = await signedIn('ada', 'care_agent', '/console/assist');
    await page.getByRole('button', { name: `Take ${customerId}` }).click();
    const card = page.locator('[data-testid=assist-card]', { hasText: customerId }).first();
    const row = card.locator('li.action', { hasText: action.name ?? action.actionId });
    await row.getByRole('button', { name: 'Decline' }).click();
    // Declining asks why: without a reason the button stays off.
    const decline = row.getByRole('button', { name: 'Decline it' });
    expect(await decline.isDisabled()).toBe(true);
    const why = 'customer is moving abroad next month';
    await row.getByLabel('Why do you decline it?').fill(why);
    await decline.click();
    await seen(page, 'li.action [role=status]', `Declined: ${why}`);
    expect(await row.getByRole('button', { name: 'Accept' }).count()).toBe(0);
    // The call ends while the card is open: the card says so, and offers no Accept on any action (nobody is on the line to say yes).
    expect(await card.getByTestId('not-on-line').count()).toBe(0);
    await api('POST', '/events', [event(customerId, 'interaction', { channel: 'call', intent: 'plan_question', phase: 'end' })]);
    await visible(card.getByTestId('not-on-line'), `the card of ${customerId} saying the call ended`, card);
    expect(await card.getByTestId('not-on-line').innerText()).toMatch(/^The call ended \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: the customer is not on the line/);
    expect(await card.getByRole('button', { name: 'Accept' }).count()).toBe(0);

    // The server kept it: on the customer's timeline (nothing carried out) and in the audit trail, with the agent as the actor.
    const onTimeline = await until(async () => {
      const { items } = (await api<{ items: { kind: string; event: { data: Json } }[] }>('GET', `/twins/${customerId}/timeline?limit=1000`)).body;
      return items.find((i) => i.kind === 'action' && i.event.data.status === 'declined' && i.event.data.offerId === action.actionId)?.event.data;
    }, WAIT_MS, `${action.actionId} declined on ${customerId}'s timeline`);
    // (The desktop's card is its own decision, made when it joined: found by customer and offer.)
    expect(onTimeline).toMatchObject({ reason: why, by: 'ada', channel: 'call', requestId: `${String(onTimeline!.decisionId)}:${action.actionId}` });
    const [audited] = (await api<{ entry: Json }[]>('GET', `/audit?order=newest&q=${encodeURIComponent(why)}`)).body;
    expect(audited.entry).toMatchObject({ type: 'action.declined', actor: { kind: 'human', id: 'ada' }, action: { customerId }, why: { summary: why } });
    // Nothing reached a back end: no request, no verdict, no execution for that action.
    const requestId = String(onTimeline!.requestId);
    const trail = (await api<{ entry: { type: string; requestId?: string } }[]>('GET', `/audit?order=newest&q=${encodeURIComponent(requestId)}`)).body;
    expect(trail.map((r) => r.entry.type)).toEqual(['action.declined']);
    // A reason is required by the server too.
    const unexplained = await api<{ error: { message: string } }>('POST', `/decisions/${action.decisionId}/decline`, { actionId: action.actionId, reason: ' ' }, await keyOf('ada', 'care_agent'));
    expect(unexplained.status).toBe(400);
    expect(unexplained.body.error.message).toMatch(/^reason: say why/);

    // And the agent reads it on the customer's page.
    await card.getByRole('link', { name: customerId }).click();
    await seen(page, '[data-testid=timeline] li.act', `declined on call by ada: ${why}`);
    await page.screenshot({ path: join(RESULTS_DIR, 'journey-agent-decline.png'), fullPage: true });
    await page.context().close();
  }, JOURNEY_MS);

  it("the care example's link opens exactly the staged call's card, which stays while the world's calls go by; the agent opens a card by the customer's id", async () => {
    // As `twinloop sandbox scenario care-example` does: the world stages a billing-complaint call now.
    const staged = await api<{ customerId: string }>('POST', '/sandbox/scenarios/care-example', {});
    expect(staged.status, JSON.stringify(staged.body)).toBe(201);
    const { customerId } = staged.body;
    // The link the command prints.
    const page = await signedIn('cara', 'care_agent', `/console/assist?customer=${customerId}&channel=call`);
    const card = page.locator('[data-testid=assist-card]', { hasText: customerId }).first();
    await visible(card, `the staged card of ${customerId}`, page.getByTestId('assist-card'));
    expect(await card.locator('h2').innerText()).toContain(`${customerId} · call · billing_complaint`);
    // The proposal the README promises: the data bonus, first by expected value (doing nothing aside).
    const first = card.locator('li.action', { hasNotText: 'Do nothing' }).first();
    expect((await first.locator('strong').innerText()).toLowerCase()).toContain('data bonus');
    expect(await page.getByLabel('Customer on the line').inputValue()).toBe(customerId);
    // Background calls go by (the world's own and these): the staged card is still there, open until the agent closes it.
    await seen(page, '[data-testid=desktop-status]', 'listening on call');
    const others = (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&churned.eq=0&limit=60')).body.items.filter((t) => t.customerId !== customerId).slice(40, 56);
    await api('POST', '/events', others.map(({ customerId: id }) => event(id, 'interaction', { channel: 'call', intent: 'plan_question', phase: 'start' })));
    await until(async () => ((await page.getByTestId('queued-card').count()) >= 12 ? true : undefined), WAIT_MS, 'the queue filled by background calls');
    await visible(card, `the staged card of ${customerId} after the background calls`);
    await page.screenshot({ path: join(RESULTS_DIR, 'journey-care-example-link.png'), fullPage: true });
    // A call whose end is never seen (these, as the world's own) counts as ended 2 h of world time after it
    // began, 2 s at 3,600x: taken, its card says so and offers no Accept. The staged call goes on, held for a person's minutes.
    await page.getByTestId('queued-card').first().getByRole('button', { name: /^Take / }).click();
    const unseenEnd = page.getByTestId('assist-card').first();
    await visible(unseenEnd.getByTestId('not-on-line'), 'a background call taken, saying it counts as ended', unseenEnd);
    expect(await unseenEnd.getByTestId('not-on-line').innerText()).toMatch(/^The call counts as ended \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, no end of it seen by then: the customer is not on the line/);
    expect(await unseenEnd.getByRole('button', { name: 'Accept' }).count()).toBe(0);
    expect(await card.getByTestId('not-on-line').count()).toBe(0);
    expect(await card.getByRole('button', { name: 'Accept' }).count()).toBeGreaterThan(0);
    await api('POST', '/events', others.map(({ customerId: id }) => event(id, 'interaction', { channel: 'call', intent: 'plan_question', phase: 'end' })));

    // The customer on the phone is who the agent types in: a wrong id says so, a right one opens the card.
    const find = page.getByLabel('Customer on the line');
    await find.fill('C999999');
    await page.getByRole('button', { name: 'Open card' }).click();
    await seen(page, 'form.toolbar .error, form.toolbar [role=alert]', 'customer "C999999" not found');
    const other = others[0]!.customerId;
    await find.fill(other);
    await page.getByRole('button', { name: 'Open card' }).click();
    await visible(page.locator('[data-testid=assist-card]', { hasText: other }).first(), `the card of ${other}, asked for by id`);
    await page.context().close();
  }, JOURNEY_MS);

  it("a care agent reads a customer's what-if: what each eligible offer is expected to do to their churn and value, as next-best-action computes it", async () => {
    const customerId = (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&churned.eq=0&churn.gte=0.01&limit=5')).body.items[0].customerId;
    type Figures = Record<'deltaLifetimeValue' | 'revenueIfAccepted' | 'costIfAccepted' | 'valueIfAccepted' | 'costPerContact' | 'expectedValue', number>;
    type WhatIf = { churn: number; offers: ({ actionId: string; name: string; eligible: boolean; funnel: { step: string } } & Figures)[] };
    const page = await signedIn('cara', 'care_agent', `/console/customers/${customerId}`);
    await seen(page, '[data-testid=what-if] tbody tr');
    const server = (await api<WhatIf>('GET', `/twins/${customerId}/what-if?channel=call`, undefined, await keyOf('cara', 'care_agent'))).body;
    const eligible = server.offers.filter((o) => o.eligible);
    expect(eligible.length).toBeGreaterThan(0);
    const rows = page.locator('[data-testid=what-if] tbody tr');
    expect(await rows.count()).toBe(eligible.length);
    // Each eligible offer, in the server's order, with its churn now → if accepted and what next-best-action would do with it.
    const texts = await rows.allInnerTexts();
    eligible.forEach((o, i) => {
      expect(texts[i]).toContain(o.name);
      expect(texts[i]).toMatch(/\d+(\.\d)? % → \d+(\.\d)? %/);
      expect(texts[i]).toMatch(o.funnel.step === 'proposed' ? /proposes it \(#\d+\)/ : /not now \(/);
    });
    // Every figure the caption's formulas use is in the row, in their order (Δ lifetime value 22.92 and
    // expected value 7.15 at 5 % read as a sum gone wrong while revenue 120 and value 142.92 were not shown).
    const cells = await Promise.all(eligible.map((_, i) => rows.nth(i).locator('td.num').allInnerTexts()));
    // In the operator's currency, as the console writes it: the default catalogue's prices are in euros.
    setCurrency('EUR');
    eligible.forEach((o, i) => {
      expect(cells[i].slice(3), o.actionId).toEqual([o.deltaLifetimeValue, o.revenueIfAccepted, o.costIfAccepted, o.valueIfAccepted, o.costPerContact, o.expectedValue].map(money));
    });
    // Another contact: the what-if is asked again for it (the server answers per channel).
    const chat = page.waitForResponse((r) => r.url().includes(`/twins/${customerId}/what-if?channel=chat`) && r.status() === 200);
    await page.getByLabel(/Made in a/).selectOption('chat');
    await chat;
    await seen(page, '[data-testid=what-if] tbody tr');
    // A viewer may not ask for decisions: no what-if on the page, and the server refuses it.
    const viewer = await signedIn('vic', 'viewer', `/console/customers/${customerId}`);
    await seen(viewer, '[data-testid=timeline] li');
    expect(await viewer.locator('[data-testid=what-if]').count()).toBe(0);
    expect((await api('GET', `/twins/${customerId}/what-if`, undefined, await keyOf('vic', 'viewer'))).status).toBe(403);
    await page.screenshot({ path: join(RESULTS_DIR, 'journey-customer-what-if.png'), fullPage: true });
    await page.context().close();
    await viewer.context().close();
  }, JOURNEY_MS);

  it('a supervisor approves a credit another person asked for, and cannot approve their own', async () => {
    const customerId = (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&limit=5')).body.items[2].customerId;
    // Each request is made with its asker's own key: the server takes the actor from the credential.
    const credit = (summary: string) => ({ actionClass: 'credit', channel: 'call', customerId, cost: 80, why: { summary } });
    const asked = (await api<{ status: string; approvalId: string }>('POST', '/actions', credit('billed twice for roaming'), await keyOf('alice', 'care_agent'))).body;
    expect(asked.status).toBe('pending-approval');

    const page = await signedIn('bob', 'supervisor', '/console/approvals');
    const item = page.locator('[data-testid=approval]', { hasText: 'billed twice for roaming' }).first();
    await visible(item, "alice's request in the queue", page.getByTestId('approval'));
    expect(await item.innerText()).toContain('asked by alice');
    await item.getByLabel('Reason').fill('matches the two roaming lines on the bill');
    await item.getByRole('button', { name: 'Approve' }).click();
    // The decided approval stays on the page with what came of it, read back from GET /approvals/:id
    // (the page showed nothing of it once decided: the queue holds pending ones only).
    const done = page.locator('[data-testid=decided]', { hasText: 'billed twice for roaming' }).first();
    await visible(done, 'the approval decided, with its outcome', page.locator('main'));
    await visible(done.getByTestId('outcome').filter({ hasText: /^executed: / }), 'its outcome: executed', done);
    expect(await done.getByTestId('decision').innerText()).toMatch(/Approved by bob.*: matches the two roaming lines on the bill/s);
    const decided = (await api<{ status: string; decidedBy: string; reason: string; outcome: { status: string; reason: string } }>('GET', `/approvals/${asked.approvalId}`)).body;
    expect(decided).toMatchObject({ status: 'approved', decidedBy: 'bob', reason: 'matches the two roaming lines on the bill', outcome: { status: 'executed' } });
    expect(await done.getByTestId('outcome').innerText()).toBe(`executed: ${decided.outcome.reason}`);
    // A rejection's outcome: refused, naming who rejected it and why; on the approval's own page too.
    const second = (await api<{ approvalId: string }>('POST', '/actions', credit('charged for a cancelled add-on'), await keyOf('alice', 'care_agent'))).body;
    await page.reload();
    const other = page.locator('[data-testid=approval]', { hasText: 'charged for a cancelled add-on' }).first();
    await visible(other, "alice's second request in the queue", page.getByTestId('approval'));
    await other.getByLabel('Reason').fill('the add-on was used all month');
    await other.getByRole('button', { name: 'Reject' }).click();
    const rejected = page.locator('[data-testid=decided]', { hasText: 'charged for a cancelled add-on' }).first();
    await visible(rejected.getByTestId('outcome').filter({ hasText: 'refused: rejected by bob: the add-on was used all month' }), 'the rejection refused', page.locator('main'));
    await page.goto(`${base}/console/approvals/${encodeURIComponent(asked.approvalId)}`);
    await seen(page, '[data-testid=decided] [data-testid=outcome]', /^executed: /);
    await seen(page, '[data-testid=decision]', /Approved by bob/);
    await page.goto(`${base}/console/approvals/${encodeURIComponent(second.approvalId)}`);
    await seen(page, '[data-testid=decided] [data-testid=outcome]', 'refused: rejected by bob');
    // A credit of 5, routine for a customer, to one who has left waits for a person, and its approval says when they left
    // (it listed monthly_price 0, clv 0 and nothing saying they had gone).
    const gone = (await api<{ items: { customerId: string }[] }>('GET', '/twins?churned.eq=1&limit=1')).body.items[0].customerId;
    const toGone = (await api<{ status: string; approvalId: string; verdict: { rule: string } }>('POST', '/actions', { actionClass: 'credit', channel: 'call', customerId: gone, cost: 5, why: { summary: 'final bill goodwill' } }, await keyOf('alice', 'care_agent'))).body;
    expect(toGone).toMatchObject({ status: 'pending-approval', verdict: { rule: 'credits-left' } });
    await page.goto(`${base}/console/approvals/${encodeURIComponent(toGone.approvalId)}`);
    await seen(page, '[data-testid=customer-left]', /^their last plan ended \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: they are no longer a customer$/);
    await page.goto(`${base}/console/approvals`);

    // Bob's own request: the page offers no decision, and the server refuses one (four eyes).
    const own = (await api<{ approvalId: string }>('POST', '/actions', credit('goodwill after an outage'), await keyOf('bob', 'supervisor'))).body;
    await page.reload();
    const mine = page.locator('[data-testid=approval]', { hasText: 'goodwill after an outage' }).first();
    await visible(mine, "bob's own request in the queue", page.getByTestId('approval'));
    expect(await mine.locator('[data-testid=own-request]').count()).toBe(1);
    expect(await mine.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    const refused = await api<{ error: { message: string } }>('POST', `/approvals/${own.approvalId}/approve`, { reason: 'fine by me' }, await keyOf('bob', 'supervisor'));
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/four eyes/);
    expect((await api<{ status: string }>('GET', `/approvals/${own.approvalId}`)).body.status).toBe('pending');

    // The audit trail opens on the newest entries (Bob's own request among them), and a search runs over the whole trail.
    await page.goto(`${base}/console/audit`);
    await seen(page, 'table tbody tr');
    const seqs = async () => (await page.locator('table tbody tr td:first-child').allInnerTexts()).map(Number);
    const head = (await api<{ headSeq: number }>('GET', '/audit/verify')).body.headSeq;
    const newest = await seqs();
    expect(newest[0]).toBeGreaterThanOrEqual(head);
    expect(newest).toEqual([...newest].sort((a, b) => b - a));
    await page.getByLabel('Search the whole trail').fill('billed twice for roaming');
    await page.getByRole('button', { name: 'Search' }).click();
    await seen(page, 'main h2', 'containing “billed twice for roaming”');
    const found = (await api<{ seq: number }[]>('GET', `/audit?order=newest&q=${encodeURIComponent('BILLED twice for roaming')}`)).body.map((r) => r.seq);
    expect(found.length).toBeGreaterThanOrEqual(4); // asked, verdict, approval asked, approved, executed
    await until(async () => ((await seqs()).join() === found.join() ? true : undefined), WAIT_MS, `the audit page to list the entries ${found.join(', ')}`);
    await page.context().close();
  }, JOURNEY_MS);

  it("a supervisor's approval whose action takes long to carry out stays on the page, as sent and then with what came of it, while the queue is read again", async () => {
    const customerId = (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&limit=5')).body.items[3].customerId;
    const asked = (await api<{ status: string; approvalId: string }>('POST', '/actions', { actionClass: 'credit', channel: 'call', customerId, cost: 60, why: { summary: 'roaming charged on a home network' } }, await keyOf('alice', 'care_agent'))).body;
    expect(asked.status).toBe('pending-approval');
    const page = await signedIn('bob', 'supervisor', '/console/approvals');
    // The back end answers slowly (a loaded default world): the server decides at once and answers
    // only later. Meanwhile the page reads its queue again, which no longer holds the approval: the
    // page said only "No approval is waiting." and the decision was nowhere (a newcomer's report).
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    await page.route('**/approvals/*/approve', async (route) => {
      const response = await route.fetch();
      await answered;
      await route.fulfill({ response });
    });
    const item = page.locator('[data-testid=approval]', { hasText: 'roaming charged on a home network' }).first();
    await visible(item, "alice's request in the queue", page.getByTestId('approval'));
    await item.getByLabel('Reason').fill('home network roaming is free');
    const queueReadAgain = page.waitForResponse((r) => new URL(r.url()).pathname === '/approvals' && r.request().method() === 'GET', { timeout: WAIT_MS });
    await item.getByRole('button', { name: 'Approve' }).click();
    await queueReadAgain;
    const done = page.locator('[data-testid=decided]', { hasText: 'roaming charged on a home network' }).first();
    await visible(done.getByTestId('sending').filter({ hasText: 'Approving with your reason “home network roaming is free”' }), 'the decision shown as sent while its answer is awaited', page.locator('main'));
    expect((await api<{ status: string }>('GET', `/approvals/${asked.approvalId}`)).body.status).toBe('approved');
    answer();
    await visible(done.getByTestId('outcome').filter({ hasText: /^executed: / }), 'its outcome: executed', page.locator('main'));
    expect(await done.getByTestId('decision').innerText()).toMatch(/Approved by bob.*: home network roaming is free/s);
    expect(await done.getByTestId('sending').count()).toBe(0);
    await page.context().close();
  }, JOURNEY_MS);

  it('a data scientist promotes a challenger model and it serves', async () => {
    const trained = await api<{ id: string; status: string }>('POST', '/models/train', { cutoffs: 3 });
    expect(trained.status).toBe(201);
    expect(trained.body.status).toBe('challenger');
    const page = await signedIn('dana', 'data_scientist', '/console/models');
    const row = page.locator('tr', { hasText: trained.body.id }).first();
    await visible(row, `the row of ${trained.body.id}`, page.locator('tbody tr'));
    const before = operator.intelligence.live()?.model.id;
    // Promoting asks why; the reason is kept in the audit trail and shown with the version.
    await row.getByRole('button', { name: 'Promote' }).click();
    const why = 'calibrated on the latest three months; AUC as good';
    await page.getByLabel(`Why ${trained.body.id} should serve`).fill(why);
    await page.getByRole('button', { name: `Promote ${trained.body.id}` }).click();
    await seen(page, '[role=status]', `${trained.body.id} is now the champion: ${why}`);
    const { items } = (await api<{ items: { id: string; status: string; promotion: { reason: string; by: { id: string } } | null }[] }>('GET', '/models')).body;
    expect(items.find((v) => v.id === trained.body.id)).toMatchObject({ status: 'champion', promotion: { reason: why, by: { id: 'dana' } } });
    expect(operator.intelligence.live()?.model.id).toBe(trained.body.id);
    const [audited] = (await api<{ entry: Json }[]>('GET', `/audit?order=newest&q=${encodeURIComponent(why)}`)).body;
    expect(audited.entry).toMatchObject({ type: 'model.promoted', actor: { kind: 'human', id: 'dana' }, target: { kind: 'model', id: trained.body.id, previousChampion: before } });
    await seen(page, 'tr [data-testid=promotion]', `by dana: “${why}”`);
    // The serving version's calibration plot, and its drift over time once the server has checked it (a check a minute).
    await seen(page, 'svg.calibration-plot circle');
    const champion = (await api<{ driftHistory: unknown[] }>('GET', `/models/${trained.body.id}`)).body;
    await page.reload();
    if (champion.driftHistory.length > 0) await seen(page, '[data-testid=drift-over-time] canvas');
    else await seen(page, 'section.panel p', 'No drift check yet');
    await page.screenshot({ path: join(RESULTS_DIR, 'journey-models.png'), fullPage: true });
    // The agent desktop by URL: a data scientist is told who it is for, and nothing of it is asked (its stream answered her 403).
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.goto(`${base}/console/assist`);
    await seen(page, '[data-testid=no-access]', /^Agent desktop is for a care agent, a supervisor or an admin \(permission assist:use\): a data scientist may not use it/);
    expect(asked.filter((p) => p.startsWith('/assist/'))).toEqual([]);
    await page.context().close();
  }, JOURNEY_MS);

  it('a marketer compares two simulated scenarios side by side, reruns one comparison, then states an intent in words and approves its simulated plan', async () => {
    // The lab opens with two retention campaigns to compare; the marketer makes the second a price change.
    const page = await signedIn('mia', 'marketer', '/console/simulations');
    const second = page.locator('[data-testid=scenario]').nth(1);
    await second.getByLabel('Kind').selectOption('price_change');
    await second.getByLabel('Name').fill('prices up 5 %');
    await second.getByLabel('Price change %').fill('5');
    await page.locator('[data-testid=scenario]').first().getByLabel('Name').fill('keep the top 200');
    await page.getByRole('button', { name: 'Run and compare 2 scenarios' }).click();
    await page.waitForURL(/\/console\/simulations\/[^/?]+$/);
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await seen(page, '[data-testid=run-status]', /^Done/, SLOW_MS);
    // What the marketer sees is what the server computed: each scenario's net value with its 90 % interval.
    const run = (await api<{ status: string; results: { name: string; overall: { netValue: { mean: number; p05: number; p95: number } } }[] }>('GET', `/simulations/${runId}`)).body;
    expect(run.status).toBe('succeeded');
    expect(run.results.map((r) => r.name)).toEqual(['keep the top 200', 'prices up 5 %']);
    // Money in the operator's currency, as the console writes it (the default catalogue's: euros).
    const money = (n: number) => n.toLocaleString('en', { style: 'currency', currency: 'EUR', minimumFractionDigits: 2, maximumFractionDigits: 2 });
    for (const r of run.results) {
      const row = page.locator('[data-testid=comparison] tbody tr', { hasText: r.name });
      const { mean, p05, p95 } = r.overall.netValue;
      expect(await row.innerText()).toContain(`${money(mean)} (90 %: ${money(p05)} to ${money(p95)})`);
    }
    // One world without treatment for both (one seed and horizon): the same churners without treatment in each row, and no warning.
    const baselines = (await api<{ results: { overall: { churnersBaseline: { mean: number; p05: number; p95: number } } }[] }>('GET', `/simulations/${runId}`)).body.results.map((r) => r.overall.churnersBaseline);
    expect(baselines[1]).toEqual(baselines[0]);
    expect(await page.locator('[data-testid=comparison] thead').innerText()).toContain('Churners without treatment');
    for (const row of await page.locator('[data-testid=comparison] tbody tr').all()) expect(await row.innerText()).toContain(`${baselines[0].mean.toFixed(1)} (90 %: ${baselines[0].p05.toFixed(1)} to ${baselines[0].p95.toFixed(1)})`);
    expect(await page.locator('[data-testid=comparison] caption').innerText()).toContain('one world without treatment for every scenario');
    expect(await page.getByTestId('compare-warning').count()).toBe(0);
    expect(await page.locator('.interval-chart svg[role=img]').count()).toBeGreaterThanOrEqual(4); // three measures side by side, one by segment
    expect(await page.locator('[data-testid=by-segment] tbody tr').count()).toBeGreaterThanOrEqual(2);
    // Rerun: a new run of the same scenarios, kept beside the first.
    await page.getByRole('button', { name: 'Rerun' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/console/simulations/') && !url.pathname.endsWith(encodeURIComponent(runId)));
    await seen(page, '[data-testid=run-status]', /^Done/, SLOW_MS);
    const runs = (await api<{ id: string; scenarios: { name: string }[] }[]>('GET', '/simulations')).body.filter((r) => r.scenarios.map((s) => s.name).join() === 'keep the top 200,prices up 5 %');
    expect(runs.length).toBe(2);
    // Scenarios of different seeds and horizons stand on different worlds without treatment: the API and the page say so.
    const apart = { kind: 'retention_campaign', targeting: { rank: 'churn_value', k: 50 }, offer: { id: 'retain-10', discountPct: 10, months: 3 }, draws: 5 };
    const started = await api<{ id: string; warnings: string[] }>('POST', '/simulations', [{ ...apart, name: 'seed one', horizonMonths: 3 }, { ...apart, name: 'seed two', seed: 2, horizonMonths: 6 }], await keyOf('mia', 'marketer'));
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body.warnings.map((w) => w.split(' (')[0])).toEqual(['The scenarios differ in seed', 'The scenarios differ in horizon']);
    await page.goto(`${base}/console/simulations/${encodeURIComponent(started.body.id)}`);
    await seen(page, '[data-testid=run-status]', /^Done/, SLOW_MS);
    await seen(page, '[data-testid=compare-warning]', 'The scenarios differ in seed (seed one: 1; seed two: 2)');
    expect(await page.getByTestId('compare-warning').count()).toBe(2);
    await page.screenshot({ path: join(RESULTS_DIR, 'journey-simulation-warning.png'), fullPage: true });

    await page.goto(`${base}/console/intents`);
    await page.getByLabel('Your goal, in words').fill('keep high-value customers in the next 6 months, budget 20000');
    await page.getByRole('button', { name: 'See how it is understood' }).click();
    await seen(page, '[data-testid=interpretation] li', 'segment: high-value');
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.getByRole('button', { name: 'Accept and plan' }).click();
    await seen(page, '[data-testid=plan-outcome]', 'Churners avoided', SLOW_MS);
    expect(await page.locator('[data-testid=plan-outcome]').first().innerText()).toMatch(/90 %: /);
    // The control group its campaign will hold, as the plan counted it: its share of those it may contact.
    const planned = (await api<{ plan: { control: { expected: number; of: number } } }>('GET', `/intents/${id}`)).body.plan.control;
    expect(await page.locator('[data-testid=plan-control]').first().innerText()).toContain(`Control group: ${planned.expected.toLocaleString('en-US')} held out, 10 % of the ${planned.of.toLocaleString('en-US')} it may contact`);
    // Four eyes: mia created the intent, so another person approves its plan.
    await seen(page, '[data-testid=four-eyes]', 'another person approves its plan');
    expect(await page.getByRole('button', { name: 'Approve the plan' }).count()).toBe(0);
    // Where it stands, in words: it waits for a person other than mia, since its plan was chosen; its status is planned (it read "planning", decision 0061).
    await seen(page, '[data-testid=stage]', 'awaiting approval since');
    expect(await page.locator('h2', { hasText: 'approve mode' }).first().innerText()).toMatch(/\(planned, approve mode, created by mia\)/);
    expect(await page.locator('[data-testid=stage]').innerText()).toMatch(/waiting for a person with the permission intents:approve, not mia who created it/);
    // By when, in people's time, it must be approved: at the world's 3,600x "this month" may leave minutes (a newcomer's plan waited past its horizon, unsaid).
    await seen(page, '[data-testid=approve-by]', /^Approve by \d{2}:\d{2} UTC your time \((in \d+ (min|h)|in under a minute), at the world's pace now\): after that its horizon has ended and the plan does not run\.$/);
    expect(await page.locator('[data-testid=stage]').innerText()).toMatch(/\(world time\), that is by \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC in people's time at the world's pace now, [\d a-z]+ from now: approved after that, the plan does not run/);
    await page.context().close();
    const lead = await signedIn('lou', 'marketer', `/console/intents/${encodeURIComponent(id)}`);
    await lead.getByRole('button', { name: 'Approve the plan' }).click();
    await seen(lead, '[role=status]', 'Plan approved: executing');
    // The approval's answer shows at once with its message: the page read "awaiting approval" for seconds after it while a read caught up.
    expect(await lead.locator('[data-testid=stage]').innerText()).toMatch(/^acting since/);
    expect(await lead.getByRole('button', { name: 'Approve the plan' }).count()).toBe(0);
    const { intent } = (await api<{ intent: { lifecycleStatus: string } }>('GET', `/intents/${id}`)).body;
    expect(intent.lifecycleStatus).toBe('executing');
    await lead.context().close();
  }, JOURNEY_MS);

  it("network operations sends an alarm in, and sees the customers it affects and the notices sent, then the clear's resolution notices", async () => {
    const opsKey = await keyOf('nora', 'network_ops');
    // A cell the small world's customers use: the home cell of the first customer with one.
    let cell: string | undefined;
    for (const { customerId } of (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&limit=20')).body.items) {
      cell ??= (await api<{ cells: { cellId: string }[] }>('GET', `/twins/${customerId}`)).body.cells[0]?.cellId;
    }
    expect(cell, 'a cell with customers').toBeDefined();
    // Customers on the cell call about the service first: anomaly detection suspects the cell (or its site) before the network system's alarm comes.
    const onCell = operator.twins.engine.cells.customersOn(cell!).slice(0, 8);
    expect(onCell.length, 'customers on the cell').toBeGreaterThanOrEqual(3);
    type Found = { id: string; state: string; signal: string; customers: string[] };
    const anomalies = async () => (await api<Found[]>('GET', '/service-operations/anomalies?limit=1000', undefined, opsKey)).body;
    const before = new Set((await anomalies()).map((a) => a.id));
    const callsAt = now();
    await api('POST', '/events', onCell.map((c) => ({ ...event(c, 'interaction', { channel: 'call', intent: 'support_network', phase: 'start' }), time: callsAt })));
    // The suspicion the calls opened, or the open one they joined; open or closed by now (at 3,600× a suspicion closes six real seconds after its last call).
    const suspicion = await until(
      async () => (await anomalies()).find((a) => (!before.has(a.id) || a.state === 'open') && a.signal === 'service-contact-burst' && a.customers.some((c) => onCell.includes(c))),
      WAIT_MS,
      `a suspicion holding the callers on ${cell}`,
    );
    const alarmApi = '/tmf-api/alarmManagement/v4/alarm';
    const raised = await api<{ id: number }>('POST', alarmApi, { sourceSystemId: 'console-e2e-nms', externalAlarmId: 'E2E-1', state: 'raised', alarmType: 'communicationsAlarm', perceivedSeverity: 'minor', probableCause: 'cell outage', alarmedObjectType: 'Cell', alarmedObject: { id: cell }, alarmRaisedTime: now() }, opsKey);
    expect(raised.status).toBe(201);
    const runId = `alarm-${raised.body.id}`;
    type Step = { stepId: string; status: string; output: unknown };
    const steps = async () => (await api<Step[]>('GET', `/workflows/${runId}/steps`, undefined, opsKey)).body;
    // The flow finds the affected customers, notifies them, opens a ticket, then waits for the clear.
    await until(async () => ((await api<{ status: string }>('GET', `/workflows/${runId}`, undefined, opsKey)).body.status === 'waiting' ? true : undefined), WAIT_MS, `${runId} waiting for the clear`);
    const done = await steps();
    const affected = done.find((st) => st.stepId === 'affected-customers')!.output as string[];
    const notified = done.filter((st) => st.stepId === 'outage-notices').flatMap((st) => (st.output as { executed: string[] }).executed);
    expect(affected.length).toBeGreaterThan(0);

    const page = await signedIn('nora', 'network_ops', '/console/service-operations');
    expect(await page.getByRole('navigation', { name: 'Pages' }).innerText()).toContain('Service operations');
    const row = page.locator('[data-testid=alarms] tbody tr', { hasText: runId });
    await visible(row, `the row of ${runId}`, page.locator('[data-testid=alarms] tbody tr'));
    expect(await row.innerText()).toMatch(/minor[\s\S]*cell outage/);
    // The outage settings in force are the API's (never figures of the page's own): its threshold and amounts.
    const inForce = (await api<{ settings: { compensateAfterMs: number; compensation: { severity: string; amount: number }[] } }>('GET', '/service-operations/incidents?limit=1', undefined, opsKey)).body.settings;
    await seen(page, '[data-testid=svcops-settings]', `if it lasted past ${inForce.compensateAfterMs / 3_600_000} h (${inForce.compensation.map((c) => `${c.severity} ${c.amount}`).join(', ')} each)`);
    // The suspicion is on the page, with the alarm that followed it and how long before it the calls showed it.
    const suspected = page.locator('[data-testid=anomalies] tbody tr', { hasText: suspicion.id });
    await visible(suspected, `the row of ${suspicion.id}`, page.locator('[data-testid=anomalies] tbody tr'));
    expect(await suspected.getByTestId('anomaly-alarm').innerText()).toMatch(new RegExp(`^${runId}, \\d+ (min|h \\d+ min) before the alarm$`));
    // Found as it happened, it carries no mark; those the loaded history's signals opened (long after they happened)
    // are not in that list but folded apart, counted, each marked found in history.
    expect(await suspected.getByTestId('anomaly-state').innerText()).not.toContain('found in history');
    expect(await page.locator('[data-testid=anomalies] tbody tr', { hasText: 'found in history' }).count()).toBe(0);
    const listed = (await api<{ id: string; history: boolean }[]>('GET', '/service-operations/anomalies?history=true&limit=100', undefined, opsKey)).body;
    const past = listed[0];
    expect(past?.history, 'a suspicion of the 6 months of history').toBe(true);
    const folded = page.getByTestId('found-in-history');
    expect(await folded.locator('summary').innerText()).toMatch(/^\d[\d,]* found in history\b.*: their signals came in a day or more after they happened/);
    await folded.locator('summary').click();
    expect(await folded.locator('[data-testid=anomalies-in-history] tbody tr', { hasText: past!.id }).getByTestId('anomaly-state').innerText()).toMatch(/^closed found in history$/);
    // Over before anyone could act on it: no Review on it.
    expect(await folded.locator('[data-testid=anomalies-in-history] tbody tr', { hasText: past!.id }).getByTestId('anomaly-review').innerText()).toBe('none: over before anyone could act');
    const treated = (await api<{ items: { alarmId: string; anomalyIds: string[]; anomalyLeadMs: number | null }[] }>('GET', '/service-operations/incidents', undefined, opsKey)).body.items.find((i) => i.alarmId === runId);
    expect(treated?.anomalyIds).toContain(suspicion.id);
    expect(treated?.anomalyLeadMs).toBeGreaterThanOrEqual(0);
    await row.getByRole('link', { name: runId }).click();
    await seen(page, '[data-testid=affected] tbody tr');
    // The page lists those found showing the outage since the flow's first step too (the flow looks again while it
    // waits for the clear), so it holds at least the first step's customers, each of them, and may hold more.
    expect(await page.locator('[data-testid=affected] tbody tr').count()).toBeGreaterThanOrEqual(Math.min(500, affected.length));
    for (const c of affected.slice(0, 3)) await visible(page.locator('[data-testid=affected] tbody tr', { hasText: c }), `${c} among the affected`, page.locator('[data-testid=affected] tbody tr'));
    const sentTo = /^Outage notices sent to ([\d,]+)\b/.exec(await page.getByTestId('notice-counts').innerText());
    expect(sentTo, 'the notice counts').not.toBeNull();
    expect(Number(sentTo![1].replace(/,/g, ''))).toBeGreaterThanOrEqual(notified.length);
    for (const c of notified.slice(0, 3)) expect(await page.locator('[data-testid=affected] tbody tr', { hasText: c }).locator('td').nth(1).innerText()).toBe('sent');
    // Each customer not paid says why, as the API says it: a minor alarm is not among the compensated severities.
    const detail = (await api<{ customers: { customerId: string; compensation: { state: string; why: string | null } }[] }>('GET', `/service-operations/incidents/${runId}`, undefined, opsKey)).body.customers;
    expect(detail[0].compensation).toEqual({ state: 'not-sent', why: expect.stringContaining('a minor alarm is not compensated') });
    expect(await page.locator('[data-testid=affected] tbody tr', { hasText: detail[0].customerId }).locator('td').nth(2).innerText()).toBe(`not sent: ${detail[0].compensation.why}`);
    // (The flow may find more customers showing the outage while the page refreshes: the count's form, the reason's words.)
    await seen(page, '[data-testid=why-not-paid]', new RegExp(`^\\d[\\d,]* × ${detail[0].compensation.why!.replace(/[()]/g, '\\$&')}`));
    expect(await page.getByTestId('alarm-facts').innerText()).toMatch(/First notice\s+\d+ (min|h)/);
    // A minor alarm is not among the compensated severities of the settings in force: the page says so.
    await seen(page, '[data-testid=alarm-compensation]', `none for a minor alarm (compensated: ${inForce.compensation.map((c) => c.severity).join(', ')})`);

    // The network system clears it: the flow sends the resolution notices and reports; the list shows its figures.
    expect((await api('PATCH', `${alarmApi}/${raised.body.id}`, { state: 'cleared', alarmClearedTime: now() }, opsKey)).status).toBe(200);
    const run = await until(async () => {
      const r = (await api<{ status: string; output: { notified: number; resolutionNotices: number } }>('GET', `/workflows/${runId}`, undefined, opsKey)).body;
      return r.status === 'succeeded' ? r : undefined;
    }, WAIT_MS, `${runId} succeeded after the clear`);
    // Those told before the clear: the first step's, and any found showing the outage while the flow waited.
    expect(run.output.notified).toBeGreaterThanOrEqual(notified.length);
    await seen(page, '[data-testid=notice-counts]', `resolution notices to ${run.output.resolutionNotices}.`);
    await page.goto(`${base}/console/service-operations`);
    const finished = page.locator('[data-testid=alarms] tbody tr', { hasText: runId }).filter({ hasText: 'succeeded' });
    await visible(finished, `${runId} succeeded`, page.locator('[data-testid=alarms] tbody tr', { hasText: runId }));
    // Affected and notified as the API counts them (those found showing the incident later included), not the run's report.
    const counted = (await api<{ items: { alarmId: string; affectedCustomers: string[]; notifiedCustomers: string[] }[] }>('GET', '/service-operations/incidents', undefined, opsKey)).body.items.find((i) => i.alarmId === runId)!;
    await seen(page, `[data-testid=alarms] tbody tr:has-text("${runId}") [data-testid=affected-count]`, counted.affectedCustomers.length.toLocaleString('en-US'));
    expect(await finished.getByTestId('affected-count').innerText()).toBe(counted.affectedCustomers.length.toLocaleString('en-US'));
    expect(await finished.getByTestId('notified-count').innerText()).toBe(counted.notifiedCustomers.length.toLocaleString('en-US'));
    // Time to notify and the time to repair, as the server measures them.
    const { summary } = (await api<{ summary: { medianTimeToFirstNoticeMs: number | null } }>('GET', '/service-operations/incidents', undefined, opsKey)).body;
    expect(summary.medianTimeToFirstNoticeMs).not.toBeNull();
    // (The sandbox's own alarms move the median while the page refreshes: its form is asserted, its value is the server's.)
    await seen(page, '[data-testid=time-to-notify]', /^\d+ (min|h \d+ min)$/);
    expect(await page.getByTestId('mttr').innerText()).toMatch(/^\d+ (min|h \d+ min) over \d+ cleared$/);
    // The suspected incidents' count is named by what it counts: bursts of bad sessions as well as of service calls.
    expect(await page.locator('[data-testid=svcops-summary] dt').allInnerTexts()).toContain('Suspected incidents (bursts of bad sessions or of service calls on a cell or site)');
    // Its figures as the API counts them: those found showing the outage after the first step are in them (the clean-clone CI saw 35 against the step's 34).
    // Each cell's figure (its first line: under the notified count, why the others were not told), money in the catalogue's currency.
    expect((await finished.locator('td.num').allInnerTexts()).map((t) => t.split('\n')[0].replace(/,/g, ''))).toEqual([String(counted.affectedCustomers.length), String(counted.notifiedCustomers.length), '0', '€0.00']);
    await page.context().close();
  }, JOURNEY_MS);

  it('a warning is watched: its affected customers are listed and nobody is told, until the network system raises it to major and the flow tells them', async () => {
    const opsKey = await keyOf('nora', 'network_ops');
    let cell: string | undefined;
    for (const { customerId } of (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&limit=20')).body.items) {
      cell ??= (await api<{ cells: { cellId: string }[] }>('GET', `/twins/${customerId}`)).body.cells[0]?.cellId;
    }
    expect(cell, 'a cell with customers').toBeDefined();
    const alarmApi = '/tmf-api/alarmManagement/v4/alarm';
    const raised = await api<{ id: number }>('POST', alarmApi, { sourceSystemId: 'console-e2e-nms', externalAlarmId: 'E2E-W1', state: 'raised', alarmType: 'qualityOfServiceAlarm', perceivedSeverity: 'warning', probableCause: 'thresholdCrossed', alarmedObjectType: 'Cell', alarmedObject: { id: cell }, alarmRaisedTime: now() }, opsKey);
    expect(raised.status).toBe(201);
    const runId = `alarm-${raised.body.id}`;
    type Treated = { alarmId: string; watch: boolean; runStatus: string; affectedCustomers: string[]; notifiedCustomers: string[] };
    const treated = async () => (await api<{ items: Treated[] }>('GET', '/service-operations/incidents', undefined, opsKey)).body.items.find((i) => i.alarmId === runId);
    // Its run lists the customers it would hurt and tells none of them.
    const watching = await until(async () => {
      const t = await treated();
      return t?.watch && t.runStatus === 'waiting' && t.affectedCustomers.length > 0 ? t : undefined;
    }, WAIT_MS, `${runId} watching with its affected customers`);
    expect(watching.notifiedCustomers).toEqual([]);
    const page = await signedIn('nora', 'network_ops', `/console/service-operations/${runId}`);
    await seen(page, '[data-testid=watch-note]', 'Watched, not acted on: a warning alarm');
    await seen(page, '[data-testid=affected] tbody tr', watching.affectedCustomers[0]);
    await page.goto(`${base}/console/service-operations`);
    const row = page.locator('[data-testid=alarms] tbody tr').filter({ has: page.getByRole('link', { name: runId, exact: true }) });
    await visible(row.getByTestId('flow-status').filter({ hasText: 'watching: nobody told' }), `${runId} watching`, row);

    // The network system raises it to major: the flow acts, and the page no longer says it watches.
    expect((await api('PATCH', `${alarmApi}/${raised.body.id}`, { perceivedSeverity: 'major' }, opsKey)).status).toBe(200);
    const acting = await until(async () => {
      const t = await treated();
      return t && !t.watch && t.notifiedCustomers.length > 0 ? t : undefined;
    }, WAIT_MS, `${runId} telling its customers after the escalation`);
    await page.goto(`${base}/console/service-operations/${runId}`);
    await seen(page, '[data-testid=notice-counts]', /^Outage notices sent to [1-9]/);
    expect(await page.getByTestId('watch-note').count()).toBe(0);
    // The severity in force at each time, and what is owed by the one the flow acts on now.
    await seen(page, '[data-testid=alarm-severities]', /^warning from .+, then major from /);
    await seen(page, '[data-testid=alarm-compensation]', /^5 each after /);
    expect(acting.notifiedCustomers.length).toBeGreaterThan(0);
    await page.context().close();
  }, JOURNEY_MS);

  it('network operations confirms one suspected incident and dismisses another, each with a reason; a viewer sees the verdicts and no button', async () => {
    const opsKey = await keyOf('nora', 'network_ops');
    type Suspicion = { id: string; objectId: string; state: string; customers: string[]; review: { decision: string; by: string; reason: string; alarmId: string | null } | null };
    const suspicions = async () => (await api<Suspicion[]>('GET', '/service-operations/anomalies?limit=1000', undefined, opsKey)).body;
    const cells = operator.twins.engine.cells;
    // A call counts on the cells (and their sites) the caller used in the last 30 days, as anomaly detection places it.
    const recent = operator.world!.clock.now() - 30 * 86_400_000;
    const recentCells = (c: string) => cells.cellsOf(c).filter((p) => p.lastSeenMs >= recent);
    const placesOf = (c: string) => recentCells(c).flatMap((p) => [p.cellId, ...(p.siteId ? [p.siteId] : [])]);
    const twins = (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&limit=1000')).body.items;
    const cellIds = new Set(twins.flatMap((t) => recentCells(t.customerId).map((p) => p.cellId)));
    /**
     * Customers of one cell none of whose places is under an open alarm (a known incident raises
     * no suspicion) or an open suspicion (their calls would join it): callers whose calls make a
     * suspicion of their own.
     */
    async function callersApart(): Promise<string[]> {
      const alarms = (await api<{ state: string; alarmedObject: { id: string } }[]>('GET', '/tmf-api/alarmManagement/v4/alarm?limit=1000')).body;
      const busy = new Set([...alarms.filter((a) => a.state !== 'cleared').map((a) => a.alarmedObject.id), ...(await suspicions()).filter((a) => a.state === 'open').map((a) => a.objectId)]);
      const clear = (c: string) => placesOf(c).every((p) => !busy.has(p));
      for (const cell of cellIds) {
        const group = cells.customersOn(cell, { sinceMs: recent }).filter(clear).slice(0, 6);
        if (group.length >= 3) return group;
      }
      throw new Error(`no cell with 3 customers whose places are clear of open alarms and suspicions (busy: ${[...busy].join(', ')})`);
    }
    // The customers keep calling while network operations looks into it, as in an outage: a
    // suspicion closes after six quiet hours of event time, six real seconds at 3,600×, less than a
    // person takes to open the page and say why. One call from each group at a time, one after another.
    const callers: string[][] = [];
    let calling = true;
    const keepCalling = (async () => {
      for (let i = 0; calling; i++) {
        if (callers.length > 0) await api('POST', '/events', callers.map((group) => event(group[i % group.length], 'interaction', { channel: 'call', intent: 'support_network', phase: 'start' })));
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    /** A burst of service calls from `group` at once, and the suspicion it opens. */
    async function suspect(group: string[]): Promise<Suspicion> {
      const before = new Set((await suspicions()).map((a) => a.id));
      const at = now();
      await api('POST', '/events', group.map((c) => ({ ...event(c, 'interaction', { channel: 'call', intent: 'support_network', phase: 'start' }), time: at })));
      callers.push(group);
      return until(async () => (await suspicions()).find((a) => !before.has(a.id) && a.customers.some((c) => group.includes(c))), WAIT_MS, `a suspected incident after ${group.length} service calls from ${group.join(', ')}`);
    }
    try {
      const toConfirm = await suspect(await callersApart());
      const toDismiss = await suspect(await callersApart());

      const page = await signedIn('nora', 'network_ops', '/console/service-operations');
      const rowOf = (id: string) => page.locator('[data-testid=anomalies] tbody tr', { hasText: id });
      await visible(rowOf(toConfirm.id), `the row of ${toConfirm.id}`, page.locator('[data-testid=anomalies] tbody tr'));
      // Confirm, saying why: the buttons wait for the reason.
      await rowOf(toConfirm.id).getByRole('button', { name: `Review ${toConfirm.id}` }).click();
      const form = page.getByTestId('review-form');
      expect(await form.getByRole('button', { name: 'Confirm' }).isDisabled()).toBe(true);
      const why = 'drive test on the cell: calls drop within a minute';
      await form.getByLabel(`Why confirm or dismiss ${toConfirm.id}`).fill(why);
      await form.getByRole('button', { name: 'Confirm' }).click();
      await seen(page, '[role=status]', `${toConfirm.id} confirmed: service operations acts on alarm-`);
      const alarmId = /acts on (alarm-\d+)/.exec(await page.getByRole('status').innerText())?.[1];
      // The server kept the verdict, raised the alarm and started its flow; the audit trail has it with nora as the actor.
      const confirmed = (await suspicions()).find((a) => a.id === toConfirm.id);
      expect(confirmed?.review).toMatchObject({ decision: 'confirmed', by: 'nora', reason: why, alarmId });
      const alarm = (await api<{ sourceSystemId: string; externalAlarmId: string }>('GET', `/tmf-api/alarmManagement/v4/alarm/${alarmId!.slice('alarm-'.length)}`)).body;
      expect(alarm).toMatchObject({ sourceSystemId: 'twinloop-anomaly-detection', externalAlarmId: toConfirm.id });
      await until(async () => ((await api('GET', `/workflows/${alarmId}`, undefined, opsKey)).status === 200 ? true : undefined), WAIT_MS, `the service-operations run ${alarmId} the confirmation starts`);
      const [audited] = (await api<{ entry: Json }[]>('GET', `/audit?order=newest&q=${encodeURIComponent(why)}`)).body;
      expect(audited.entry).toMatchObject({ type: 'action.executed', actor: { kind: 'human', id: 'nora' }, action: { actionClass: 'incident_review', params: { event: 'suspicion.confirmed', anomalyId: toConfirm.id, alarmId } } });
      // The page updates: the verdict in the suspicion's row, the raised alarm in the alarms.
      await seen(page, `[data-testid=anomalies] tbody tr:has-text("${toConfirm.id}") [data-testid=anomaly-review]`, `confirmed by nora: “${why}” (${alarmId})`);
      await seen(page, '[data-testid=alarms] tbody tr', alarmId!);

      // Dismiss the other: nobody is told, no alarm.
      await rowOf(toDismiss.id).getByRole('button', { name: `Review ${toDismiss.id}` }).click();
      const because = 'a stadium concert: callers asked about coverage, the cell is fine';
      await form.getByLabel(`Why confirm or dismiss ${toDismiss.id}`).fill(because);
      await form.getByRole('button', { name: 'Dismiss' }).click();
      await seen(page, '[role=status]', `${toDismiss.id} dismissed: nobody is told`);
      expect((await suspicions()).find((a) => a.id === toDismiss.id)?.review).toMatchObject({ decision: 'dismissed', by: 'nora', reason: because, alarmId: null });
      await seen(page, `[data-testid=anomalies] tbody tr:has-text("${toDismiss.id}") [data-testid=anomaly-review]`, `dismissed by nora: “${because}”`);
      await page.screenshot({ path: join(RESULTS_DIR, 'journey-suspicion-review.png'), fullPage: true });
      await page.context().close();

      // A viewer reads the suspicions and the verdicts, is offered no review, and the server refuses one.
      const viewer = await signedIn('vera', 'viewer', '/console/service-operations');
      await seen(viewer, `[data-testid=anomalies] tbody tr:has-text("${toDismiss.id}") [data-testid=anomaly-review]`, 'dismissed by nora');
      expect(await viewer.getByRole('button', { name: /^Review / }).count()).toBe(0);
      const refused = await api('POST', `/service-operations/anomalies/${toConfirm.id}/dismiss`, { reason: 'not mine to say' }, await keyOf('vera', 'viewer'));
      expect(refused.status).toBe(403);
      await viewer.context().close();
    } finally {
      calling = false;
      await keepCalling;
    }
  }, JOURNEY_MS);

  it('a marketer watches a campaign live (variants, allocation over time, guardrails), pauses it with a reason, resumes it and stops it', async () => {
    await ensureCampaign();
    type Campaign = { hold: { held: boolean; reason: string; by: { id: string } } | null; variants: { variantId: string; offerId: string; tried: number }[]; allocation: { tick: number; held: boolean; spent: number }[] };
    const read = async () => (await api<Campaign>('GET', `/campaigns/${CAMPAIGN}`)).body;
    const page = await signedIn('mark', 'marketer', '/console/campaigns');
    expect(await page.getByRole('navigation', { name: 'Pages' }).innerText()).toContain('Campaigns');
    await page.locator('[data-testid=campaigns] tbody tr', { hasText: CAMPAIGN }).getByRole('link', { name: CAMPAIGN }).click();
    await seen(page, '[data-testid=variants] tbody tr');
    // Each variant with its live metrics, the allocation over time as a chart, the guardrails.
    const server = await read();
    const rows = page.locator('[data-testid=variants] tbody tr');
    expect(await rows.count()).toBe(server.variants.length);
    for (const v of server.variants) expect(await rows.filter({ hasText: v.variantId }).innerText()).toContain(`${v.offerId}, app`);
    await seen(page, '[data-testid=allocation-latest]', /^Latest tick \d+: discount-app \d+(\.\d)? %, bonus-app \d+(\.\d)? %$/);
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('guardrails').innerText()).toMatch(/€400\.00 \(€[\d,.]+ left\)[\s\S]*A variant is paused when[\s\S]*harmful uplift/);

    // Pause, saying why: the server holds it (nobody is contacted on the ticks while it is held) and audits it.
    const why = 'complaints about the app banner: hold until it is fixed';
    await page.getByLabel('Why pause it').fill(why);
    await page.getByRole('button', { name: 'Pause the campaign' }).click();
    await seen(page, '[role=status]', `${CAMPAIGN} is paused by a person: ${why}`);
    expect((await read()).hold).toMatchObject({ held: true, reason: why, by: { id: 'mark' } });
    const [audited] = (await api<{ entry: Json }[]>('GET', `/audit?order=newest&q=${encodeURIComponent(why)}`)).body;
    expect(audited.entry).toMatchObject({ actor: { kind: 'human', id: 'mark' }, action: { actionClass: 'campaign_adjustment', params: { event: 'campaign.paused', campaignId: CAMPAIGN } } });
    // Nobody is contacted after the first held tick: the variants' contacts asked stay as they were. (Its
    // spend may still grow: an offer presented before the pause and accepted meanwhile is booked on acceptance.)
    const tried = (c: Campaign) => c.variants.reduce((n, v) => n + v.tried, 0);
    const firstHeld = await until(async () => {
      const c = await read();
      const held = c.allocation.filter((p) => p.held).length;
      return held >= 1 ? { held, tried: tried(c) } : undefined;
    }, WAIT_MS, `a held tick of ${CAMPAIGN}`);
    const later = await until(async () => {
      const c = await read();
      return c.allocation.filter((p) => p.held).length >= firstHeld.held + 2 ? c : undefined;
    }, WAIT_MS, `two more held ticks of ${CAMPAIGN}`);
    expect(tried(later), 'nobody contacted while held').toBe(firstHeld.tried);
    await seen(page, '[data-testid=campaign-hold]', `by mark: ${why}`);

    // Resume, saying why.
    await page.getByLabel('Why resume it').fill('banner fixed');
    await page.getByRole('button', { name: 'Resume the campaign' }).click();
    await seen(page, '[role=status]', `${CAMPAIGN} is running: banner fixed`);
    expect((await read()).hold).toMatchObject({ held: false, reason: 'banner fixed' });
    // A care agent may read campaigns' data but not steer them: the server refuses.
    expect((await api('POST', `/campaigns/${CAMPAIGN}/pause`, { reason: 'mine' }, await keyOf('ada', 'care_agent'))).status).toBe(403);
    await page.screenshot({ path: join(RESULTS_DIR, 'journey-campaign.png'), fullPage: true });

    // Stop it for good, saying why: its run ends (nobody more is contacted), and its id names it still: a second start is refused.
    await page.getByLabel('Why pause it').fill('the season is over');
    await page.getByRole('button', { name: 'Stop it for good' }).click();
    await seen(page, '[role=status]', `${CAMPAIGN} is stopped: the season is over`);
    // A campaign stopped by hand says so, not "succeeded" (fa45a81).
    await seen(page, '#campaign-title', 'ended (stopped by mark: the season is over)');
    // Its end closed it: the page says why, and what became of the contacts still waiting for a person.
    await seen(page, '[data-testid=closed]', /campaign e2e-campaign ended: stopped by mark: the season is over\. (No approval was waiting|\d+ approvals? still waiting then withdrawn)/);
    const { input } = (await api<{ input: Json }>('GET', `/workflows/campaign-${CAMPAIGN}`)).body;
    expect(await api('POST', '/workflows/campaign-management/start', { input })).toMatchObject({ status: 409, body: { error: { message: expect.stringMatching(new RegExp(`^campaign ${CAMPAIGN} has ended \\(succeeded`)) } } });
    await page.context().close();
  }, JOURNEY_MS);

  it('a person whose first sign-in link was bad signs in with a second one in the same tab', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
    await page.goto(`${base}/sign-in#key=twl_not_a_key`);
    // Refused on the sign-in page itself: it says what is wrong, not to go and sign in at /sign-in.
    await seen(page, '#status.error', /^not signed in: .*; sign in with another key/);
    expect(await page.locator('#status').innerText()).not.toContain('/sign-in');
    // The second link differs in its fragment only: the page is not loaded again, and its key is taken all the same.
    await page.goto(`${base}/sign-in#key=${await keyOf('sally', 'supervisor')}`);
    await page.waitForURL(`${base}/`);
    await seen(page, '.who', 'sally');
    await context.close();
  });

  it("the header says how far the twins' latest event trails the time it shows, read from the same answer, while the world runs ahead (a backfill)", async () => {
    const page = await signedIn('hana', 'viewer', '/console/overview');
    // The world as a first start's backfill moves it: a day per answer of GET /health, the twins' latest event left behind.
    const DAY = 86_400_000;
    const latest = Date.parse('2026-04-14T23:59:00Z');
    let n = 0;
    await page.route('**/health', async (route) => {
      // A read in flight as the page closes has nobody to answer.
      const real = (await route
        .fetch()
        .then((r) => r.json())
        .catch(() => undefined)) as Json | undefined;
      if (!real) return route.abort().catch(() => undefined);
      n += 1;
      const body = { ...real, eventClock: new Date(latest).toISOString(), worldClock: new Date(latest + 60_000 + n * DAY).toISOString(), clockSource: { kind: 'sandbox', phase: 'backfilling', speed: 3600 } };
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    });
    await seen(page, '[data-testid=clock-label]', 'Simulated clock (backfilling history)');
    for (let look = 0; look < 6; look++) {
      await page.waitForTimeout(1_000);
      // Both read at once, as a person reads the header.
      const [shown, behind] = (await page.evaluate("[document.querySelector('[data-testid=event-clock]')?.textContent ?? '', document.querySelector('[data-testid=clock-behind]')?.textContent ?? '']")) as [string, string];
      const days = Math.floor((Date.parse(shown.replace(' UTC', ':00Z').replace(' ', 'T')) - latest) / DAY);
      // It said "1 d behind" beside a clock six days past the twins' latest event.
      expect(behind.trim(), `beside ${shown}`).toBe(`(twins' latest event ${days} d behind (2026-04-14 23:59 UTC))`);
    }
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.context().close();
  }, JOURNEY_MS);

  it("a care agent reads a customer's bills as bars from zero, and the overview says whom its expected-churn link lists", async () => {
    // A customer whose bills differ little (a walk through the console found 20.00 and 22.50
    // drawn on an axis from 20: a sliver beside a tall bar).
    const someone = (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&bills_total.gte=3&limit=1')).body.items[0].customerId;
    const page = await signedIn('carol', 'care_agent', `/console/customers/${someone}`);
    const bills = page.locator('figure.chart', { has: page.locator('figcaption', { hasText: /^Bills/ }) }).locator('[data-y-range]');
    await visible(bills, 'the bills chart drawn', page.locator('figure.chart'));
    const [low, high] = (await bills.getAttribute('data-y-range'))!.split(',').map(Number);
    expect(low).toBe(0);
    expect(high).toBeGreaterThan(0);
    // The billing period in progress against the allowance, as the twin counts it now (not only when the month's bill closes it).
    const { periodUsage } = (await api<{ periodUsage: { from: string; dataAllowanceMb: number; dataShare: number | null } }>('GET', `/twins/${someone}`)).body;
    expect(periodUsage.dataAllowanceMb).toBeGreaterThan(0);
    await seen(page, '[data-testid=period-usage]', new RegExp(`Period\\s*since the bill of ${periodUsage.from}, \\d+ days? through \\d{4}-\\d{2}-\\d{2}\\s*Data\\s*[\\d,]+ MB of [\\d,]+ MB \\(\\d+(\\.\\d)? %\\)`));

    // A customer who left: the charts end at their last event, not at the clock (they were empty).
    const gone = (await api<{ items: { customerId: string }[] }>('GET', '/twins?churned.eq=1&bills_total.gte=2&limit=1')).body.items[0].customerId;
    await page.goto(`${base}/console/customers/${gone}`);
    await seen(page, '#usage-title', /the 180 days before the customer left/);
    // Said first: that they left, when, and what was done before; no what-if of offers for someone no longer there.
    await seen(page, '#churned-title', 'This customer has left');
    await seen(page, '[data-testid=churned-actions]', /^(Before they left: \d+ actions? (and|or) answers? on their timeline|Nothing was offered or done for them)/);
    expect(await page.locator('#what-if-title').count()).toBe(0);
    await visible(page.locator('figure.chart [data-y-range]').first(), 'the charts of a customer who left drawn', page.locator('figure.chart'));
    // Their bills stand on the 180 days the heading names (half a month more for the first bar at most), one bill or many:
    // a single bill stood at the edge of an axis of almost three years (uPlot's own range for one time point).
    const goneBills = page.locator('figure.chart', { has: page.locator('figcaption', { hasText: /^Bills/ }) }).locator('[data-x-range]');
    await visible(goneBills, 'the bills chart of a customer who left drawn', page.locator('figure.chart'));
    const [from, to] = (await goneBills.getAttribute('data-x-range'))!.split(',').map(Number);
    expect((to - from) / 86_400_000).toBeGreaterThanOrEqual(180);
    expect((to - from) / 86_400_000).toBeLessThanOrEqual(196);
    // The list marks them churned (their 0.00 is no price: they have no plan), not a customer like the others.
    await page.goto(`${base}/console/customers?churned.eq=1&bills_total.gte=2`);
    const row = page.locator('tbody tr', { has: page.locator(`a:text-is("${gone}")`) });
    await visible(row.locator('td strong', { hasText: /^churned$/ }), 'the customer who left marked churned in the list', page.locator('tbody'));

    // "15 expected to churn" linked to the 2 customers at 20 % or more, saying nothing of it.
    // The first page a care agent sees asks nothing the role may not read: before GET /auth/me
    // answered it read as an open server's, asked for the approvals, and kept their red 403.
    const asked: string[] = [];
    page.on('request', (r) => void (new URL(r.url()).pathname === '/approvals' && asked.push(r.url())));
    await page.goto(`${base}/`);
    const tile = page.locator('a.tile', { has: page.locator('[data-testid=overview-expected-churn]') });
    await visible(tile.filter({ hasText: /listed/ }), 'the expected-churn tile with its detail', tile);
    const listed = Number(/(\d[\d,]*) at 20 % or more listed/.exec(await tile.innerText())![1].replace(/,/g, ''));
    const atRisk = (await api<{ items: unknown[] }>('GET', '/twins?churn.gte=0.2&limit=1000')).body.items.length;
    expect(listed).toBe(atRisk);
    expect(asked).toEqual([]);
    expect(await page.locator('main [role=alert]').count()).toBe(0);
    await tile.click();
    await page.waitForURL(`${base}/console/customers?churn.gte=0.2`);

    // "At risk" on the overview: the population's level and how many are at it, the count the list behind it holds
    // (the world runs on, so the scores move: read until the answers read together agree).
    await page.goto(`${base}/`);
    type Level = { churn: number; customers: number };
    const atRiskNow = async () => (await api<{ risk: { atRisk: Level | null } | null }>('GET', '/population')).body.risk?.atRisk ?? undefined;
    const level = await until(async () => {
      const read = await atRiskNow();
      const listed = (await api<{ items: { scores: { churn: number } }[] }>('GET', '/twins?at_risk.eq=1&limit=1000')).body.items;
      return read && listed.length === read.customers && listed.every((t) => t.scores.churn >= read.churn) ? read : undefined;
    }, WAIT_MS, 'the at-risk customers listed as many as /population counts at its level');
    expect(level.customers).toBeGreaterThan(0);
    const atRiskTile = page.locator('a.tile', { has: page.locator('[data-testid=overview-at-risk]') });
    await visible(atRiskTile.filter({ hasText: /riskiest 10 %/ }), 'the at-risk tile with its level', atRiskTile);
    await until(async () => {
      const shown = Number((await page.getByTestId('overview-at-risk').innerText()).replace(/,/g, ''));
      return shown === (await atRiskNow())?.customers ? true : undefined;
    }, WAIT_MS, "the at-risk tile showing /population's count");
    await atRiskTile.click();
    await page.waitForURL(`${base}/console/customers?at_risk.eq=1`);
    await visible(page.locator('h2', { hasText: /^\d+ customers/ }), 'the at-risk customers listed', page.locator('main'));
    // Ranked by churn risk, the riskiest first, then by lifetime value: each column the heading sorts on, read off the table.
    await page.locator('th a', { hasText: /^Churn risk/ }).click();
    await page.waitForURL(`${base}/console/customers?at_risk.eq=1&sort=-churn`);
    await visible(page.locator('th[aria-sort=descending]', { hasText: /Churn risk/ }), 'the list ranked by churn risk', page.locator('main'));
    const column = async (n: number) => (await page.locator(`tbody tr td:nth-of-type(${n})`).allInnerTexts()).map((t) => Number.parseFloat(t.replace(/,/g, '')));
    const risks = await column(7);
    expect(risks.length).toBeGreaterThan(0);
    expect(risks).toEqual([...risks].sort((a, b) => b - a));
    await page.locator('th a', { hasText: /^Lifetime value/ }).click();
    await page.waitForURL(`${base}/console/customers?at_risk.eq=1&sort=-clv`);
    await visible(page.locator('th[aria-sort=descending]', { hasText: /Lifetime value/ }), 'the list ranked by lifetime value', page.locator('main'));
    const values = await column(8);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    await page.screenshot({ path: join(RESULTS_DIR, 'customers-at-risk-by-clv.png'), fullPage: true });
    await page.context().close();
  }, JOURNEY_MS);

  it('loads every page, with no serious or critical accessibility violation; photographs each and measures its first load', async () => {
    const someone = (await api<{ items: { customerId: string }[] }>('GET', '/twins?active_plans.gte=1&limit=1')).body.items[0].customerId;
    // The customers page filtered on churn at a threshold the serving model's scores reach: the model the data scientist
    // promoted above (trained on 3 cutoffs of the small world) may put every customer under a fixed 0.02.
    const scored = (await api<{ items: { scores: { churn: number | null } }[] }>('GET', '/twins?churn.gte=0&limit=20')).body.items
      .map((t) => t.scores.churn)
      .filter((p): p is number => p !== null)
      .sort((a, b) => b - a);
    expect(scored.length, 'customers with a live churn score').toBeGreaterThan(0);
    // The median of the first twenty scored: about half of them are listed, so the table has rows.
    const riskFloor = Math.floor(scored[Math.floor(scored.length / 2)] * 1e4) / 1e4;
    // Each page, and what shows that its data arrived.
    // The runs of the marketer's journey (the lab's pages are a marketer's).
    const lastRun = (await api<{ id: string; startedAt: string }[]>('GET', '/simulations')).body.sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0]?.id;
    await ensureCampaign();
    expect(lastRun, 'a simulation run to show').toBeDefined();
    const pages: { name: string; path: string; ready: [string, (string | RegExp)?]; role?: string }[] = [
      { name: 'overview', path: '/', ready: ['[data-testid=overview-twins]', /\d/] },
      { name: 'customers', path: `/console/customers?churn.gte=${riskFloor}`, ready: ['table tbody tr'] },
      { name: 'customer', path: `/console/customers/${someone}`, ready: ['[data-testid=timeline] li'] },
      { name: 'agent-desktop', path: '/console/assist', ready: ['[data-testid=desktop-status]', 'listening'] },
      { name: 'approvals', path: '/console/approvals', ready: ['main h1', 'Approvals'] },
      { name: 'intents', path: '/console/intents', ready: ['table tbody tr'] },
      { name: 'service-operations', path: '/console/service-operations', ready: ['[data-testid=alarms] tbody tr'], role: 'network_ops' },
      { name: 'service-alarm', path: '/console/service-operations/alarm-1', ready: ['[data-testid=alarm-facts]'], role: 'network_ops' },
      { name: 'policy', path: '/console/policy', ready: ['[data-testid=policy-history] tbody tr'] },
      { name: 'simulation-lab', path: '/console/simulations', ready: ['table tbody tr'], role: 'marketer' },
      { name: 'simulation-run', path: `/console/simulations/${lastRun}`, ready: ['[data-testid=comparison] tbody tr'], role: 'marketer' },
      { name: 'campaigns', path: '/console/campaigns', ready: ['[data-testid=campaigns] tbody tr'], role: 'marketer' },
      { name: 'campaign', path: `/console/campaigns/${CAMPAIGN}`, ready: ['[data-testid=allocation-latest]'], role: 'marketer' },
      { name: 'models', path: '/console/models', ready: ['table tbody tr'] },
      { name: 'audit', path: '/console/audit', ready: ['table tbody tr'] },
    ];
    const firstLoad: Record<string, number> = {};
    const violations: string[] = [];
    for (const p of pages) {
      const page = await signedIn(`reviewer-${p.name}`, p.role ?? 'supervisor', p.path);
      // On a timeout, say what the page's main part showed (an empty list's heading, an error), not only that the awaited element was absent.
      await visible(page.locator(p.ready[0], p.ready[1] === undefined ? {} : { hasText: p.ready[1] }).first(), `${p.ready[0]}${p.ready[1] === undefined ? '' : ` showing ${String(p.ready[1])}`}`, page.locator('main'));
      // Milliseconds from the start of the navigation to the page showing its data, by the browser's clock.
      firstLoad[p.name] = Math.round(await page.evaluate(() => performance.now()));
      const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      for (const v of axe.violations) if (v.impact === 'serious' || v.impact === 'critical') violations.push(`${p.name}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
      await page.screenshot({ path: join(RESULTS_DIR, `${p.name}.png`), fullPage: true });
      await page.context().close();
    }
    expect(violations).toEqual([]);

    const assets = join(DEFAULT_CONSOLE_DIR, 'assets');
    const bundle = readdirSync(assets).map((f) => ({ file: f, bytes: statSync(join(assets, f)).size, gzip: gzipSync(readFileSync(join(assets, f))).length }));
    writeFileSync(join(RESULTS_DIR, 'first-load.json'), JSON.stringify({ firstLoadMs: firstLoad, bundle, at: new Date().toISOString() }, null, 2));
    console.log(`console first load (ms, navigation start to data shown): ${JSON.stringify(firstLoad)}; bundle ${bundle.map((b) => `${b.file} ${b.bytes} B (${b.gzip} B gzip)`).join(', ')}`);
  }, 900_000); // fifteen pages, each with an axe scan: 15-40 s a page at load 30 on two cores

  it('an admin puts a new version of the action policy in force with a reason, and a supervisor reads it and its history', async () => {
    const before = (await api<{ version: number }>('GET', '/policy')).body.version;
    const page = await signedIn('pat', 'admin', '/console/policy');
    // Saved as it is, the document makes no version, and the page says so.
    await page.getByLabel('Why it changes').fill('quarterly review: no change to the rules');
    await page.getByRole('button', { name: `Put in force as version ${before + 1}` }).click();
    await seen(page, '[role=status]', `Nothing changed: the document is version ${before}, in force already`);
    expect((await api<{ version: number }>('GET', '/policy')).body.version).toBe(before);
    // Edited, it does.
    const document = (await api<{ document: Record<string, unknown> }>('GET', '/policy')).body.document;
    await page.getByLabel('The policy document (docs/policy.md)').fill(JSON.stringify({ ...document, fallbackMode: document.fallbackMode === 'approve' ? 'advise' : 'approve' }, null, 2));
    await page.getByLabel('Why it changes').fill('quarterly review: what no rule covers waits for a person');
    await page.getByRole('button', { name: `Put in force as version ${before + 1}` }).click();
    await seen(page, '[role=status]', `Version ${before + 1} is in force`);
    const now = (await api<{ version: number; reason: string; changedBy: { id: string } }>('GET', '/policy')).body;
    expect(now).toMatchObject({ version: before + 1, reason: 'quarterly review: what no rule covers waits for a person', changedBy: { id: 'pat' } });
    await page.context().close();

    const reader = await signedIn('sam', 'supervisor', '/console/policy');
    await seen(reader, '[data-testid=policy-reason]', 'quarterly review');
    expect(await reader.getByRole('button', { name: /Put in force/ }).count()).toBe(0);
    await seen(reader, '[data-testid=policy-history] tbody tr', 'pat (human)');
    await reader.context().close();
  }, JOURNEY_MS);
});
