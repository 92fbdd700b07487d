import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TwinloopError } from '../../../domain/errors.js';
import { TMF921_V5 } from './tmf921-spec.js';

/**
 * The official TM Forum Open API specifications (Swagger 2.0, vendored unmodified in
 * `specs/tmf/`, Apache 2.0) and the schemas generated from them: a definition of a spec becomes
 * a zod schema through zod's own JSON Schema converter (`z.fromJSONSchema`), which the TMF
 * routes declare, so `/openapi.json` documents the official shapes and requests are checked
 * against them; the contract tests validate every answer against the raw definitions
 * (decision 0009). Nothing of the specifications is retyped by hand.
 */

/**
 * The TMF APIs whose official specification Twinloop reads: its file in `specs/tmf/` (vendored
 * unmodified), or, for TMF921 v5, the definitions rendered in `tmf921-spec.ts` (decision 0016).
 */
export const TMF_SPECS = {
  TMF620: 'TMF620-ProductCatalog-v4.0.0.swagger.json',
  TMF629: 'TMF629-Customer-v4.0.0.swagger.json',
  TMF637: 'TMF637-ProductInventory-v4.0.0.swagger.json',
  TMF622: 'TMF622-ProductOrder-v4.0.0.swagger.json',
  TMF642: 'TMF642-Alarm-v4.0.0.swagger.json',
  TMF681: 'TMF681-Communication-v4.0.0.swagger.json',
  TMF621: 'TMF621-TroubleTicket-v4.0.0.swagger.json',
  /** Not served: what the service-activation connector sends a BSS (its requests and the answers it reads are checked against it). */
  TMF641: 'TMF641-Service_Ordering-v4.0.0.swagger.json',
  TMF921: TMF921_V5,
} as const;

/** An API with a vendored specification. */
export type TmfApi = keyof typeof TMF_SPECS;

/** The parts of a Swagger 2.0 document the edge reads. */
export interface SwaggerDocument {
  readonly basePath: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Record<string, Record<string, unknown>>;
  readonly definitions: Record<string, Record<string, unknown>>;
}

const documents = new Map<TmfApi, SwaggerDocument>();
const schemas = new Map<string, z.ZodType>();

/**
 * `specs/tmf/` of this package, found from this file, never from the working directory: both its
 * source (`src/interfaces/http/tmf/`) and its compiled form (`dist/interfaces/http/tmf/`) sit four
 * folders below the package root, and `npm pack` ships `specs/` (package.json `files`).
 */
const SPECS_DIR = new URL('../../../../specs/tmf/', import.meta.url);

/** The official specification of `api`, read once from `specs/tmf/` (the same path from `src/` and `dist/`). */
export function tmfSpec(api: TmfApi): SwaggerDocument {
  const source = TMF_SPECS[api];
  if (typeof source !== 'string') return source;
  let doc = documents.get(api);
  if (!doc) {
    const url = new URL(source, SPECS_DIR);
    try {
      doc = JSON.parse(readFileSync(url, 'utf8')) as SwaggerDocument;
    } catch (err) {
      throw new TwinloopError('INTERNAL', `cannot read the ${api} specification ${url.pathname}: the package is incomplete; reinstall it`, { cause: err });
    }
    documents.set(api, doc);
  }
  return doc;
}

/**
 * Reads every vendored specification now (each is read once: the routes then find it read), so that
 * a server missing one fails before it starts anything (a store opened, a sandbox running, a port
 * never opened) with every missing file named.
 */
export function checkTmfSpecs(): void {
  const missing: string[] = [];
  for (const api of Object.keys(TMF_SPECS) as TmfApi[]) {
    try {
      tmfSpec(api);
    } catch {
      missing.push(String(TMF_SPECS[api]));
    }
  }
  if (missing.length > 0) {
    throw new TwinloopError('INTERNAL', `the package is incomplete: ${missing.length === 1 ? 'the TM Forum specification' : 'the TM Forum specifications'} ${missing.join(', ')} cannot be read in ${SPECS_DIR.pathname} (the TMF routes are built from them); reinstall the package, or in a checkout restore specs/tmf/`);
  }
}

/**
 * The definitions reachable from `root` with every reference that closes a loop (TMF637's
 * Product holds ProductRefOrValues that hold Products…) replaced by a plain object: the OpenAPI
 * document cannot name the loop's anonymous parts. The contract tests check answers against the
 * full, recursive definitions.
 */
function withoutLoops(defs: Record<string, unknown>, root: string): Record<string, unknown> {
  const state = new Map<string, 'open' | 'done'>();
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node === null || typeof node !== 'object') return node;
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/$defs/')) {
      const target = ref.slice('#/$defs/'.length);
      // The cut keeps the definition's type, and no type for one that has none (TMF921's JSON-LD node also takes strings and numbers).
      if (state.get(target) === 'open') {
        const type = (defs[target] as { type?: unknown } | undefined)?.type;
        return { ...(type === undefined ? {} : { type }), description: `A ${target} (nested in itself: see the specification)` };
      }
      if (!state.has(target)) visit(target);
      return node;
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewrite(v)]));
  };
  const visit = (name: string) => {
    state.set(name, 'open');
    defs[name] = rewrite(defs[name]);
    state.set(name, 'done');
  };
  visit(root);
  return Object.fromEntries([...state.keys()].map((name) => [name, defs[name]]));
}

/**
 * The definition `name` of `api` as a JSON Schema (draft 2020-12 wording: `$defs` for Swagger's
 * `definitions`), self-contained: the definitions it reaches ride along under `$defs`, loops cut.
 */
export function tmfJsonSchema(api: TmfApi, name: string): Record<string, unknown> {
  const spec = tmfSpec(api);
  if (!Object.hasOwn(spec.definitions, name)) throw new TwinloopError('INTERNAL', `${api} defines no "${name}"; see ${typeof TMF_SPECS[api] === 'string' ? `specs/tmf/${String(TMF_SPECS[api])}` : 'tmf921-spec.ts'}`);
  const defs = JSON.parse(JSON.stringify(spec.definitions).replaceAll('"#/definitions/', '"#/$defs/')) as Record<string, unknown>;
  return { $ref: `#/$defs/${name}`, $defs: withoutLoops(defs, name) };
}

/** The attributes the definition `name` of `api` requires (answered even when `fields` leaves them out). */
export function tmfRequired(api: TmfApi, name: string): readonly string[] {
  return (tmfSpec(api).definitions[name]?.required as string[] | undefined) ?? [];
}

/**
 * The definition `name` of `api` as a zod schema generated from the official specification,
 * named `TMF620_ProductOffering` in `/openapi.json`. Objects keep fields the definition does not
 * list (TMF extension fields, `@type` subclasses), as the specification allows.
 */
export function tmfSchema(api: TmfApi, name: string): z.ZodType {
  const key = `${api}_${name}`;
  let schema = schemas.get(key);
  if (!schema) {
    const definition = tmfSpec(api).definitions[name] as { description?: string } | undefined;
    schema = z.fromJSONSchema(tmfJsonSchema(api, name)).meta({ id: key, description: `${api} ${name} (official specification${definition?.description ? `: ${definition.description}` : ''})` });
    schemas.set(key, schema);
  }
  return schema;
}
