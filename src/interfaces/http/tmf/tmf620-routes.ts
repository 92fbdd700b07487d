import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ACTION_CLASSES, type CatalogueEntry, type ProductOffering } from '../../../decisioning/offer-catalogue.js';
import { TwinloopError } from '../../../domain/errors.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { idParams } from '../api-schemas.js';
import type { RouteModule } from '../route-module.js';
import { apiRoot, applyMergePatch, checkedResource, MERGE_PATCH, mergePatchBody, sendCreated, tmfErrors, tmfReadRoutes } from './tmf-common.js';
import { tmf620EntryRoutes } from './tmf620-entry-routes.js';
import { EXTENSION_SCHEMAS, fromTmfOffering, priceIdOf, PRICE_KEYS, slugOf, TMF620_BASE, toTmfOffering } from './tmf620-mapping.js';
import { tmfSchema } from './tmf-spec.js';

/**
 * TMF620 Product Catalog Management v4 at `/tmf-api/productCatalogManagement/v4/`: the decision
 * service's catalogue itself (one source of truth: what is written here is what next-best-action
 * proposes). productOffering is read and written (POST 201, PATCH merge patch, DELETE 204), and
 * so are productOfferingPrice, productSpecification, category and catalog, computed from the
 * offerings or written beside them (tmf620-entries.ts, docs/tmf.md). Answers follow the official
 * specification's definitions.
 */
export function tmf620Routes(s: OperatorServices): RouteModule {
  const catalogue = () => s.decisions.catalogue;
  const categories = () => s.decisions.catalogueDocument().document.category ?? [];
  const offering = (id: string): ProductOffering | undefined => catalogue().byId.get(id)?.offering;
  /** A price an offering may name: another offering's own, or one written through productOfferingPrice (its pricing attributes). */
  const priceById = (priceId: string): ProductOffering['productOfferingPrice'] | undefined => {
    const own = catalogue().offers.find((o) => priceIdOf(o.id) === priceId)?.offering.productOfferingPrice;
    if (own) return own;
    const written = s.decisions.catalogueDocument().document.productOfferingPrice?.find((p) => p.id === priceId);
    return written && (Object.fromEntries(PRICE_KEYS.filter((k) => written[k] !== undefined).map((k) => [k, written[k]])) as ProductOffering['productOfferingPrice']);
  };
  const root = (req: FastifyRequest) => apiRoot(req, TMF620_BASE);
  const offeringSchema = tmfSchema('TMF620', 'ProductOffering');

  /**
   * Stores an offering written through TMF620 and answers it as stored. When the body names its
   * `category`, the written categories it names list it and the others no longer do (one new
   * version of the catalogue); a category that does not exist is a 400.
   */
  async function store(req: FastifyRequest, body: Record<string, unknown>, id: string) {
    const written = fromTmfOffering(body, id, new Date(s.clock.now()).toISOString(), priceById);
    const named = Array.isArray(body.category) ? (body.category as Record<string, unknown>[]).map((c) => String(c?.id)) : undefined;
    const known = new Set<string>([...ACTION_CLASSES, ...categories().map((c) => c.id)]);
    const unknown = named?.findIndex((c) => !known.has(c)) ?? -1;
    if (named && unknown >= 0) throw new TwinloopError('BAD_INPUT', `category[${unknown}].id: no Category "${named[unknown]}"; GET ${TMF620_BASE}/category lists them`);
    const member = (c: CatalogueEntry): CatalogueEntry => {
      const others = ((c.productOffering as { id: string }[] | undefined) ?? []).filter((r) => r.id !== id);
      const list = named?.includes(c.id) ? [...others, { id }] : named ? others : (c.productOffering as { id: string }[] | undefined) ?? [];
      return { ...Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'productOffering')), ...(list.length > 0 ? { productOffering: list } : {}) } as CatalogueEntry;
    };
    await s.decisions.editCatalogue((doc) => ({
      ...doc,
      productOffering: [...doc.productOffering.filter((o) => o.id !== id), written as (typeof doc.productOffering)[number]],
      ...(doc.category ? { category: doc.category.map(member) } : {}),
    }));
    return toTmfOffering(offering(id)!, root(req), categories());
  }

  return (app) => {
    tmfReadRoutes(app, { api: 'TMF620', base: TMF620_BASE, collection: 'productOffering', definition: 'ProductOffering', all: (req) => catalogue().offers.map((o) => toTmfOffering(o.offering, root(req), categories())) });
    app.post(
      `${TMF620_BASE}/productOffering`,
      {
        schema: {
          summary: 'TMF620: create a ProductOffering (the id is made from the name unless given); extension attributes in docs/tmf.md',
          body: tmfSchema('TMF620', 'ProductOffering_Create'),
          response: { 201: offeringSchema, ...tmfErrors('TMF620', 400, 409) },
        },
      },
      async (req, reply) => {
        const body = req.body as Record<string, unknown>;
        let id: string;
        if (typeof body.id === 'string' && body.id !== '') {
          id = body.id;
          if (offering(id)) throw new TwinloopError('CONFLICT', `a ProductOffering "${id}" exists; PATCH ${TMF620_BASE}/productOffering/${id} changes it`);
        } else {
          const stem = slugOf(String(body.name), 'offering');
          id = stem;
          for (let n = 2; offering(id); n++) id = `${stem}-${n}`;
        }
        return sendCreated(reply, await store(req, body, id));
      },
    );
    app.patch(
      `${TMF620_BASE}/productOffering/:id`,
      {
        schema: {
          summary: `TMF620: change a ProductOffering with a JSON merge patch (${MERGE_PATCH}); the result is checked as a whole`,
          params: idParams,
          body: mergePatchBody,
          response: { 200: offeringSchema, ...tmfErrors('TMF620', 400, 404, 409) },
        },
      },
      async (req) => {
        const current = offering(req.params.id);
        if (!current) throw new TwinloopError('NOT_FOUND', `no ProductOffering "${req.params.id}"; POST ${TMF620_BASE}/productOffering creates one`);
        const patch = req.body;
        if (patch.id !== undefined && patch.id !== req.params.id) throw new TwinloopError('BAD_INPUT', `id: an offering's id cannot change ("${String(patch.id)}" ≠ "${req.params.id}")`);
        const merged = applyMergePatch(toTmfOffering(current, root(req), categories()), patch) as Record<string, unknown>;
        checkedResource(offeringSchema, merged);
        return store(req, merged, req.params.id);
      },
    );
    app.delete(
      `${TMF620_BASE}/productOffering/:id`,
      { schema: { summary: 'TMF620: remove a ProductOffering', params: idParams, response: { 204: z.undefined().describe('Removed'), ...tmfErrors('TMF620', 404, 409) } } },
      async (req, reply) => {
        await s.decisions.deleteOffering(req.params.id);
        return reply.status(204).send();
      },
    );
    tmf620EntryRoutes(app, s, root);
    app.get(
      `${TMF620_BASE}/schema/:id`,
      {
        schema: {
          summary: "TMF620: the JSON Schema of a Twinloop subclass's extension attributes (what its @schemaLocation points at)",
          params: z.object({ id: z.enum(Object.keys(EXTENSION_SCHEMAS) as [keyof typeof EXTENSION_SCHEMAS]) }),
          response: { 200: z.record(z.string(), z.unknown()).describe('A JSON Schema (draft 2020-12)'), ...tmfErrors('TMF620', 400) },
        },
      },
      async (req) => ({ $id: `${root(req)}/schema/${req.params.id}`, title: req.params.id, ...z.toJSONSchema(EXTENSION_SCHEMAS[req.params.id], { io: 'input' }) }),
    );
  };
}
