import { z } from 'zod';
import { TwinloopError } from '../../../domain/errors.js';

/**
 * JSON Patch (RFC 6902), the PATCH body TMF630 allows beside the merge patch: a list of
 * operations (`add`, `remove`, `replace`, `move`, `copy`, `test`) on JSON Pointers (RFC 6901),
 * applied in order to a copy of the resource, all or nothing. A resource's own rules then judge
 * the result, as they judge a merge patch's.
 */

const OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;

/** One operation, as the specifications' `JsonPatch` defines it. */
export const jsonPatchOperation = z.looseObject({ op: z.string(), path: z.string(), value: z.unknown().optional(), from: z.string().optional() });
/** A JSON Patch document: the operations, in order. */
export const jsonPatchBody = z.array(jsonPatchOperation).max(100).describe('A JSON Patch (RFC 6902, `application/json-patch+json`): operations applied in order, all or nothing');
export type JsonPatchOperation = z.infer<typeof jsonPatchOperation>;

type Container = Record<string, unknown> | unknown[];

/** A JSON Pointer's reference tokens (`/a/b~1c` → `a`, `b/c`); BAD_INPUT naming the operation when it is not one. */
function tokens(pointer: string, what: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new TwinloopError('BAD_INPUT', `${what}: "${pointer}" is not a JSON Pointer (it starts with "/", e.g. /lifecycleStatus)`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const isContainer = (v: unknown): v is Container => v !== null && typeof v === 'object';

/** The container holding the pointer's last token, and that token; BAD_INPUT when the path does not lead there. */
function parentOf(doc: unknown, path: string[], what: string): { parent: Container; key: string } {
  let node = doc;
  for (const t of path.slice(0, -1)) {
    const next = isContainer(node) ? (Array.isArray(node) ? node[Number(t)] : node[t]) : undefined;
    if (!isContainer(next)) throw new TwinloopError('BAD_INPUT', `${what}: the resource has nothing at /${path.join('/')}`);
    node = next;
  }
  if (!isContainer(node)) throw new TwinloopError('BAD_INPUT', `${what}: the resource has nothing at /${path.join('/')}`);
  return { parent: node, key: path[path.length - 1] };
}

function arrayIndex(arr: unknown[], key: string, adding: boolean, what: string): number {
  if (adding && key === '-') return arr.length;
  const i = Number(key);
  if (!/^(0|[1-9]\d*)$/.test(key) || i > arr.length || (!adding && i === arr.length)) throw new TwinloopError('BAD_INPUT', `${what}: ${key} is not an index of that array (${arr.length} items)`);
  return i;
}

function read(doc: unknown, path: string[], what: string): unknown {
  if (path.length === 0) return doc;
  const { parent, key } = parentOf(doc, path, what);
  const found = Array.isArray(parent) ? parent[arrayIndex(parent, key, false, what)] : Object.hasOwn(parent, key) ? parent[key] : undefined;
  if (found === undefined) throw new TwinloopError('BAD_INPUT', `${what}: the resource has nothing at /${path.join('/')}`);
  return found;
}

function remove(doc: unknown, path: string[], what: string): unknown {
  read(doc, path, what);
  const { parent, key } = parentOf(doc, path, what);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, what), 1);
  else delete parent[key];
  return doc;
}

function add(doc: unknown, path: string[], value: unknown, what: string, replace: boolean): unknown {
  if (path.length === 0) return structuredClone(value);
  if (replace) read(doc, path, what);
  const { parent, key } = parentOf(doc, path, what);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, !replace, what), replace ? 1 : 0, structuredClone(value));
  else parent[key] = structuredClone(value);
  return doc;
}

/** Deep equality of JSON values (object keys in any order), as `test` compares. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Applies a JSON Patch to a copy of `target` and answers the copy. An operation that is not one
 * (an unknown `op`, no `value` where one is needed, a path that leads nowhere) is BAD_INPUT naming
 * its index (`[1].op: …`); a `test` that fails is CONFLICT (`[0] test /lifecycleStatus: …`):
 * the resource is not what the client expected, and nothing is applied.
 */
export function applyJsonPatch<T>(target: T, operations: readonly JsonPatchOperation[]): T {
  let doc: unknown = structuredClone(target);
  operations.forEach((o, i) => {
    const at = `[${i}]`;
    if (!(OPS as readonly string[]).includes(o.op)) throw new TwinloopError('BAD_INPUT', `${at}.op: "${o.op}" is not a JSON Patch operation (${OPS.join(', ')})`);
    const what = `${at} ${o.op} ${o.path}`;
    const path = tokens(o.path, `${at}.path`);
    const needsValue = o.op === 'add' || o.op === 'replace' || o.op === 'test';
    if (needsValue && !('value' in o)) throw new TwinloopError('BAD_INPUT', `${at}.value: a ${o.op} operation carries the value`);
    const from = o.op === 'move' || o.op === 'copy' ? tokens(o.from ?? '', `${at}.from`) : [];
    if ((o.op === 'move' || o.op === 'copy') && o.from === undefined) throw new TwinloopError('BAD_INPUT', `${at}.from: a ${o.op} operation names where from`);
    switch (o.op) {
      case 'add':
        doc = add(doc, path, o.value, what, false);
        break;
      case 'replace':
        doc = add(doc, path, o.value, what, true);
        break;
      case 'remove':
        doc = remove(doc, path, what);
        break;
      case 'copy':
        doc = add(doc, path, read(doc, from, what), what, false);
        break;
      case 'move': {
        const value = read(doc, from, what);
        doc = add(remove(doc, from, what), path, value, what, false);
        break;
      }
      case 'test': {
        const found = read(doc, path, what);
        if (!sameJson(found, o.value)) throw new TwinloopError('CONFLICT', `${what}: found ${JSON.stringify(found)}, not ${JSON.stringify(o.value)}; nothing was changed`);
        break;
      }
    }
  });
  return doc as T;
}
