import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TwinloopError } from '../../../domain/errors.js';
import { parseFilterQuery } from '../../../twin/feature-filter.js';
import { queryFields, twinIdsWhere } from '../../../twin/twin-query.js';
import type { TwinView } from '../../../twin/twin-view.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { reachedOnly } from '../http-auth.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, attributeFilters, selectFields, tmfErrors, tmfListQuery, tmfReadRoutes, partyCustomer } from './tmf-common.js';
import { TMF629_BASE, TMF637_BASE, toTmfCustomer, toTmfProducts } from './tmf629-mapping.js';
import { tmfRequired, tmfSchema } from './tmf-spec.js';

/** What the customer and inventory APIs read: the twins and the live intelligence's additions. */
export type TwinReads = Pick<OperatorServices, 'twins' | 'decorateTwin' | 'scoreFields'>;

/** A current twin with its live scores (reasons included), or undefined for an unknown customer. */
function currentTwin(s: TwinReads, id: string): { view: TwinView; decorated: Record<string, unknown> } | undefined {
  const view = s.twins.engine.view(id);
  return view && { view, decorated: s.decorateTwin(view) };
}

/**
 * TMF629 Customer Management v4 at `/tmf-api/customerManagement/v4/`: each twin as a Customer
 * (profile and live scores with reasons as characteristics). The list filters with the twins'
 * one filter vocabulary (`churn.gt=0.5`, `data_mb_30d.gte=1000`: docs/filters.md); customers are
 * made by events, so the API reads only.
 */
export function tmf629Routes(s: TwinReads): RouteModule {
  const fields = queryFields(s.scoreFields);
  const root = (req: FastifyRequest) => apiRoot(req, TMF629_BASE);
  const customer = tmfSchema('TMF629', 'Customer');
  const required = tmfRequired('TMF629', 'Customer');
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
        const page = ids.slice(req.query.offset, req.query.offset + req.query.limit).flatMap((id) => {
          const twin = currentTwin(s, id);
          return twin ? [selectFields(toTmfCustomer(twin.view, twin.decorated, root(req)), req.query.fields, required)] : [];
        });
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
        const twin = currentTwin(s, req.params.id);
        if (!twin) throw new TwinloopError('NOT_FOUND', `no Customer "${req.params.id}"; GET ${TMF629_BASE}/customer lists them`);
        return selectFields(toTmfCustomer(twin.view, twin.decorated, root(req)), req.query.fields, required);
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
