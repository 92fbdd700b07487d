import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SCHEMA_VERSION, type EventOf } from '../../../domain/events.js';
import { TwinloopError } from '../../../domain/errors.js';
import { parseFilterQuery } from '../../../twin/feature-filter.js';
import { queryFields, twinIdsWhere } from '../../../twin/twin-query.js';
import type { TwinView } from '../../../twin/twin-view.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { reachedOnly } from '../http-auth.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, attributeFilters, checkedResource, MERGE_PATCH, mergePatchBody, selectFields, sendCreated, tmfErrorBody, tmfErrors, tmfListQuery, tmfReadRoutes, partyCustomer } from './tmf-common.js';
import { CUSTOMER_PARTY_COLLECTION, newCustomer, patchedCustomer, profileOf, type CustomerParty, type CustomerProfile } from './tmf629-customer-input.js';
import { statusOf, TMF629_BASE, TMF637_BASE, toTmfCustomer, toTmfProducts } from './tmf629-mapping.js';
import { tmfRequired, tmfSchema } from './tmf-spec.js';

/** What the customer and inventory APIs read: the twins and the live intelligence's additions. */
export type TwinReads = Pick<OperatorServices, 'twins' | 'decorateTwin' | 'scoreFields'>;
/** What TMF629 also writes with: the record store (the customers' party records) and the clock new events are dated by. */
export type CustomerServices = TwinReads & Pick<OperatorServices, 'records' | 'clock'>;

/** The `source` of the customer events TMF629 writes: the CRM that spoke. */
const SOURCE = 'tmf629';

/** A current twin with its live scores (reasons included), or undefined for an unknown customer. */
function currentTwin(s: TwinReads, id: string): { view: TwinView; decorated: Record<string, unknown> } | undefined {
  const view = s.twins.engine.view(id);
  return view && { view, decorated: s.decorateTwin(view) };
}

/** An id a client gives a new customer: printable, no `/` or `:` (ids travel in paths and in TMF637's product ids). */
const customerIdSchema = z.string().min(1).max(128).regex(/^[^\s/:?#%]+$/, 'letters, digits and - _ . only (no spaces, /, :, ?, # or %)');

/**
 * TMF629 Customer Management v4 at `/tmf-api/customerManagement/v4/`: each twin as a Customer
 * (profile and live scores with reasons as characteristics). The list filters with the twins'
 * one filter vocabulary (`churn.gt=0.5`, `data_mb_30d.gte=1000`: docs/filters.md). A CRM
 * registers a customer (POST) and changes it (PATCH): the profile as a `customer` event through
 * the intake, like any other producer's, and the name, contact media and other attributes in the
 * customer's party record beside the twin (tmf629-customer-input.ts). DELETE is 405: a twin is
 * its event history and is not removed (docs/tmf.md).
 */
export function tmf629Routes(s: CustomerServices): RouteModule {
  const fields = queryFields(s.scoreFields);
  const root = (req: FastifyRequest) => apiRoot(req, TMF629_BASE);
  const customer = tmfSchema('TMF629', 'Customer');
  const required = tmfRequired('TMF629', 'Customer');
  const partyOf = async (id: string) => (await s.records.get<CustomerParty>(CUSTOMER_PARTY_COLLECTION, id))?.body;
  const answer = async (req: FastifyRequest, id: string) => {
    const twin = currentTwin(s, id);
    return twin && toTmfCustomer(twin.view, twin.decorated, root(req), await partyOf(id));
  };
  /** Sends a customer's profile as a `customer` event through the intake, dated now; BAD_INPUT with the intake's reason when refused. */
  const submit = async (customerId: string, profile: CustomerProfile) => {
    const event: EventOf<'customer'> = { id: `${SOURCE}:${customerId}:${randomUUID()}`, customerId, time: new Date(s.clock.now()).toISOString(), source: SOURCE, v: SCHEMA_VERSION, kind: 'customer', data: profile };
    const [outcome] = await s.twins.intake.submit([event]);
    if (outcome.status === 'rejected') throw new TwinloopError('BAD_INPUT', `the customer was not taken: ${outcome.reason}`);
  };
  const storeParty = async (customerId: string, party: CustomerParty) => {
    if (Object.keys(party).length > 0) await s.records.put(CUSTOMER_PARTY_COLLECTION, customerId, party);
    else await s.records.delete(CUSTOMER_PARTY_COLLECTION, customerId);
  };
  return (app) => {
    app.get(
      `${TMF629_BASE}/customer`,
      {
        schema: {
          summary: 'TMF629: list Customers (twins), filtered on features and live scores as /twins is (`churn.gt=0.5`), with fields, offset/limit',
          querystring: tmfListQuery,
          response: { 200: z.array(customer), ...tmfErrors('TMF629', 400) },
        },
      },
      async (req, reply) => {
        const pairs = Object.fromEntries(attributeFilters(req.query).map((f) => [[...f.path, f.op].join('.'), f.values.join(',')]));
        // A key held to segments lists its customers only, counted as such.
        const ids = reachedOnly(req, twinIdsWhere(s.twins.engine, parseFilterQuery(pairs, fields), s.scoreFields), (id) => id);
        const answered = await Promise.all(ids.slice(req.query.offset, req.query.offset + req.query.limit).map((id) => answer(req, id)));
        const page = answered.flatMap((c) => (c ? [selectFields(c, req.query.fields, required)] : []));
        void reply.header('X-Total-Count', String(ids.length)).header('X-Result-Count', String(page.length));
        return page;
      },
    );
    app.get(
      `${TMF629_BASE}/customer/:id`,
      {
        schema: {
          summary: 'TMF629: one Customer: the twin now, its live scores with reasons as characteristics',
          params: z.object({ id: z.string().min(1).max(128) }),
          querystring: z.object({ fields: z.string().max(2000).optional() }),
          response: { 200: customer, ...tmfErrors('TMF629', 400, 404) },
        },
      },
      async (req) => {
        const found = await answer(req, req.params.id);
        if (!found) throw new TwinloopError('NOT_FOUND', `no Customer "${req.params.id}"; GET ${TMF629_BASE}/customer lists them`);
        return selectFields(found, req.query.fields, required);
      },
    );
    app.post(
      `${TMF629_BASE}/customer`,
      {
        schema: {
          summary:
            'TMF629: register a customer (its profile as a customer event through the intake: characteristic segment, billing, contractMonths, contractEnd, paymentMethod, marketingConsent, smsConsent, emailConsent; validFor.startDateTime since when); name and contactMedium kept beside the twin',
          body: tmfSchema('TMF629', 'Customer_Create'),
          response: { 201: customer, ...tmfErrors('TMF629', 400, 403, 409) },
        },
      },
      async (req, reply) => {
        const body = req.body as Record<string, unknown>;
        if (req.identity?.scope.segments) throw new TwinloopError('FORBIDDEN', `${req.identity.subject}'s credential is scoped to the segments ${req.identity.scope.segments.join(', ')}; a new customer is in none of them yet, so registering one needs a key without segments`);
        let id: string;
        if (body.id !== undefined) {
          id = checkedResource(customerIdSchema, body.id, { prefix: ['id'] });
          if (s.twins.engine.view(id) || (await partyOf(id))) throw new TwinloopError('CONFLICT', `id: a Customer "${id}" exists; PATCH ${TMF629_BASE}/customer/${id} changes it`);
        } else id = `CU-${randomUUID().slice(0, 13)}`;
        const { profile, party } = newCustomer(body, new Date(s.clock.now()).toISOString());
        await submit(id, profile);
        await storeParty(id, party);
        const created = await answer(req, id);
        if (!created) throw new TwinloopError('INTERNAL', `customer ${id} was taken by the intake but has no twin; GET ${TMF629_BASE}/customer/${id} again shortly`);
        return sendCreated(reply, created);
      },
    );
    app.patch(
      `${TMF629_BASE}/customer/:id`,
      {
        schema: {
          summary: `TMF629: change a customer with a JSON merge patch (${MERGE_PATCH}): name, contactMedium (null erases them), engagedParty, validFor, the writable characteristics (each one named is set); the profile goes to the twin as a customer event`,
          params: z.object({ id: z.string().min(1).max(128) }),
          body: mergePatchBody,
          response: { 200: customer, ...tmfErrors('TMF629', 400, 404) },
        },
      },
      async (req) => {
        const view = s.twins.engine.view(req.params.id);
        const profile = view && profileOf(view);
        if (!view || !profile) throw new TwinloopError('NOT_FOUND', `no Customer "${req.params.id}"; POST ${TMF629_BASE}/customer registers one`);
        const update = { engagedParty: { id: req.params.id, '@referredType': 'Individual' }, ...Object.fromEntries(Object.entries(req.body).filter(([, v]) => v !== null)) };
        checkedResource(tmfSchema('TMF629', 'Customer_Update'), update);
        const changed = patchedCustomer(req.body, { id: req.params.id, profile, party: (await partyOf(req.params.id)) ?? {}, status: statusOf(view) });
        if (changed.profile) await submit(req.params.id, changed.profile);
        await storeParty(req.params.id, changed.party);
        return (await answer(req, req.params.id))!;
      },
    );
    app.delete(
      `${TMF629_BASE}/customer/:id`,
      {
        schema: {
          summary: 'TMF629: not allowed (405): a customer is its twin, rebuilt from its events, and is not removed; terminate its products through TMF622, erase its name and contact media with PATCH (null)',
          params: z.object({ id: z.string().min(1).max(128) }),
          response: { 405: tmfSchema('TMF629', 'Error').describe('Not allowed'), ...tmfErrors('TMF629', 404) },
        },
      },
      async (req, reply) => {
        if (!s.twins.engine.view(req.params.id)) throw new TwinloopError('NOT_FOUND', `no Customer "${req.params.id}"; GET ${TMF629_BASE}/customer lists them`);
        return reply
          .status(405)
          .header('Allow', 'GET, PATCH')
          .send(
            tmfErrorBody(
              405,
              'NOT_ALLOWED',
              `a Customer is not deleted: it is its twin, rebuilt from its events, which the audit trail, the models and the decisions name. To end the relationship, terminate its products with a TMF622 order (POST /tmf-api/productOrderingManagement/v4/productOrder, action delete); to erase its personal data, PATCH ${TMF629_BASE}/customer/${req.params.id} with {"name": null, "contactMedium": null}`,
            ),
          );
      },
    );
  };
}

/**
 * TMF637 Product Inventory v4 at `/tmf-api/productInventory/v4/`: each twin's plans and add-ons
 * as Products related to their Customer. `relatedParty.id=C000123` reads that customer's twin
 * alone; other filters scan every twin.
 */
export function tmf637Routes(s: TwinReads): RouteModule {
  const root = (req: FastifyRequest) => apiRoot(req, TMF637_BASE);
  const customerRoot = (req: FastifyRequest) => apiRoot(req, TMF629_BASE);
  const productsOf = (req: FastifyRequest, id: string) => {
    const view = s.twins.engine.view(id);
    return view ? toTmfProducts(view, root(req), customerRoot(req)) : [];
  };
  return (app) =>
    tmfReadRoutes(app, {
      api: 'TMF637',
      base: TMF637_BASE,
      collection: 'product',
      definition: 'Product',
      customerOf: partyCustomer,
      all: (req) => {
        const party = (req.query as Record<string, unknown>)['relatedParty.id'];
        const ids = party === undefined ? Array.from({ length: s.twins.engine.table.size }, (_, slot) => s.twins.engine.table.idAt(slot)) : [party].flat().flatMap((p) => String(p).split(','));
        return ids.flatMap((id) => productsOf(req, id));
      },
      one: (req, id) => {
        const customerId = id.slice(0, Math.max(0, id.indexOf(':')));
        return productsOf(req, customerId).find((p) => p.id === id);
      },
    });
}
