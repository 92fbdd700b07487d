import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CatalogueEntry } from '../../../decisioning/offer-catalogue.js';
import { TwinloopError } from '../../../domain/errors.js';
import type { OperatorServices } from '../../runtime/operator-services.js';
import { idParams } from '../api-schemas.js';
import type { HttpApp } from '../route-module.js';
import { applyMergePatch, checkedResource, MERGE_PATCH, mergePatchBody, sendCreated, tmfErrors, tmfReadRoutes } from './tmf-common.js';
import { ENTRY_KINDS, type CatalogueState, type EntryKind } from './tmf620-entries.js';
import { slugOf, TMF620_BASE } from './tmf620-mapping.js';
import { tmfSchema } from './tmf-spec.js';

type Json = Record<string, unknown>;

/**
 * TMF620's productSpecification, productOfferingPrice, category and catalog, each served alike
 * over the rules of its kind (tmf620-entries.ts): GET list and one (the computed items and the
 * stored entries), POST 201 (a stored entry; its id made from the name unless given), PATCH (merge
 * patch: a stored entry is checked whole and replaced; a computed item as its kind allows), DELETE
 * 204 (a stored entry nothing needs; computed items are refused). Every write is one new version
 * of the decision service's catalogue document.
 */
export function tmf620EntryRoutes(app: HttpApp, s: Pick<OperatorServices, 'decisions' | 'clock'>, root: (req: FastifyRequest) => string): void {
  const state = (): CatalogueState => {
    const { document, version } = s.decisions.catalogueDocument();
    return { document, version, catalogue: s.decisions.catalogue };
  };
  const now = () => new Date(s.clock.now()).toISOString();
  for (const kind of ENTRY_KINDS) served(kind);

  function served(kind: EntryKind): void {
    const path = `${TMF620_BASE}/${kind.list}`;
    const item = tmfSchema('TMF620', kind.definition);
    const entries = (st: CatalogueState) => st.document[kind.list] ?? [];
    const all = (req: FastifyRequest, st = state()) => [...kind.computed(st, root(req)), ...entries(st).map((e) => kind.answer(e, st, root(req)))];
    const find = (req: FastifyRequest, id: string) => {
      const st = state();
      const entry = entries(st).find((e) => e.id === id);
      if (entry) return { st, entry, answered: kind.answer(entry, st, root(req)) };
      const computed = kind.computed(st, root(req)).find((c) => c.id === id);
      return computed ? { st, entry: undefined, answered: computed } : undefined;
    };
    const notFound = (id: string) => new TwinloopError('NOT_FOUND', `no ${kind.definition} "${id}"; GET ${path} lists them`);
    /** Stores the document with `entries` as the kind's list, and answers `id` as stored. */
    const store = async (req: FastifyRequest, list: CatalogueEntry[], id: string) => {
      await s.decisions.editCatalogue((doc) => ({ ...doc, [kind.list]: list }));
      return find(req, id)!.answered;
    };

    tmfReadRoutes(app, { api: 'TMF620', base: TMF620_BASE, collection: kind.list, definition: kind.definition, all: (req) => all(req) });
    app.post(
      path,
      {
        schema: {
          summary: `TMF620: create a ${kind.definition} (the id is made from the name unless given); docs/tmf.md says what it means to the catalogue`,
          body: tmfSchema('TMF620', `${kind.definition}_Create`),
          response: { 201: item, ...tmfErrors('TMF620', 400, 409) },
        },
      },
      async (req, reply) => {
        const body = req.body as Json;
        const st = state();
        const taken = new Set(all(req, st).map((x) => String(x.id)));
        let id: string;
        if (body.id !== undefined) {
          if (typeof body.id !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(body.id)) throw new TwinloopError('BAD_INPUT', 'id: letters, digits and - _ . only (1-128)');
          id = body.id;
          if (taken.has(id)) throw new TwinloopError('CONFLICT', `id: a ${kind.definition} "${id}" exists; PATCH ${path}/${id} changes it`);
        } else {
          const stem = slugOf(String(body.name), kind.list);
          id = stem;
          for (let n = 2; taken.has(id); n++) id = `${stem}-${n}`;
        }
        const entry = kind.check({ ...body, id, lastUpdate: now() }, st);
        return sendCreated(reply, await store(req, [...entries(st), entry], id));
      },
    );
    app.patch(
      `${path}/:id`,
      {
        schema: {
          summary: `TMF620: change a ${kind.definition} with a JSON merge patch (${MERGE_PATCH}); the result is checked as a whole`,
          params: idParams,
          body: mergePatchBody,
          response: { 200: item, ...tmfErrors('TMF620', 400, 404, 409) },
        },
      },
      async (req) => {
        const id = req.params.id;
        const found = find(req, id);
        if (!found) throw notFound(id);
        if (req.body.id !== undefined && req.body.id !== id) throw new TwinloopError('BAD_INPUT', `id: a ${kind.definition}'s id cannot change ("${String(req.body.id)}" ≠ "${id}")`);
        const merged = applyMergePatch(found.answered, req.body) as Json;
        checkedResource(item, merged);
        if (!found.entry) {
          await s.decisions.editCatalogue(() => kind.patchComputed(id, merged, found.st, now(), req.body));
          const after = find(req, id);
          if (!after) throw notFound(id);
          return after.answered;
        }
        const entry = kind.check({ ...merged, id, lastUpdate: now() }, found.st);
        return store(req, entries(found.st).map((e) => (e.id === id ? entry : e)), id);
      },
    );
    app.delete(
      `${path}/:id`,
      { schema: { summary: `TMF620: remove a ${kind.definition} the catalogue no longer needs`, params: idParams, response: { 204: z.undefined().describe('Removed'), ...tmfErrors('TMF620', 404, 409) } } },
      async (req, reply) => {
        const id = req.params.id;
        const found = find(req, id);
        if (!found) throw notFound(id);
        kind.guardDelete(id, found.st);
        if (!found.entry) throw new TwinloopError('CONFLICT', `${kind.definition} "${id}" is computed from the offerings; change the offerings instead`);
        await s.decisions.editCatalogue((doc) => ({ ...doc, [kind.list]: entries(found.st).filter((e) => e.id !== id) }));
        return reply.status(204).send();
      },
    );
  }
}
