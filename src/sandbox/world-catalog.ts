import defaultWorld from './worlds/default.json' with { type: 'json' };
import priceWar from './worlds/price-war.json' with { type: 'json' };
import fragileNetwork from './worlds/fragile-network.json' with { type: 'json' };
import small from './worlds/small.json' with { type: 'json' };
import hiddenPersuadables from './worlds/hidden-persuadables.json' with { type: 'json' };
import waryBase from './worlds/wary-base.json' with { type: 'json' };
import { TwinloopError } from '../domain/errors.js';
import { formatConfigIssues, parseWorldConfig, type ConfigResult, type WorldConfig } from './world-config.js';

/**
 * The named worlds shipped with the sandbox. A world document may say `"extends": "<name>"`:
 * it is then deep-merged over that world (objects merge field by field, arrays replace),
 * so a variant only states what differs.
 */

const documents: Record<string, unknown> = {
  default: defaultWorld,
  'price-war': priceWar,
  'fragile-network': fragileNetwork,
  'hidden-persuadables': hiddenPersuadables,
  'wary-base': waryBase,
  small,
};

/** Names of the built-in worlds. */
export const WORLD_NAMES: readonly string[] = Object.keys(documents);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge per field, anything else (arrays included) replaces. */
export function mergeDeep(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch === undefined ? base : patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = mergeDeep(base[k], v);
  return out;
}

/** Resolves `extends` chains (up to a small depth, to stop cycles) into one plain document. */
export function resolveExtends(doc: unknown, depth = 0): unknown {
  if (!isPlainObject(doc) || doc.extends === undefined) return doc;
  if (depth > 8) throw new TwinloopError('BAD_INPUT', 'extends: chain is deeper than 8 worlds; check for a cycle');
  const parentName = doc.extends;
  if (typeof parentName !== 'string' || !(parentName in documents)) {
    throw new TwinloopError(
      'BAD_INPUT',
      `extends: expected one of ${WORLD_NAMES.join(', ')}; found ${JSON.stringify(parentName)}`,
    );
  }
  const { extends: _ignored, ...rest } = doc;
  return mergeDeep(resolveExtends(documents[parentName], depth + 1), rest);
}

/** Validates a world document (resolving `extends`), returning every wrong field. */
export function checkWorldDocument(doc: unknown): ConfigResult {
  let resolved: unknown;
  try {
    resolved = resolveExtends(doc);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, issues: [{ path: 'extends', expected: message.replace(/^extends: /, ''), found: '' }] };
  }
  return parseWorldConfig(resolved);
}

/** Validates a world document or throws a BAD_INPUT error listing every wrong field. */
export function loadWorldDocument(doc: unknown): WorldConfig {
  const result = checkWorldDocument(doc);
  if (!result.ok) {
    throw new TwinloopError('BAD_INPUT', `invalid world configuration:\n  ${formatConfigIssues(result.issues).join('\n  ')}`, {
      context: { issues: result.issues },
    });
  }
  return result.config;
}

/** One of the built-in worlds by name (`default`, `price-war`, `fragile-network`, `small`). */
export function namedWorld(name: string): WorldConfig {
  if (!(name in documents)) {
    throw new TwinloopError('NOT_FOUND', `no built-in world named ${JSON.stringify(name)}; use one of ${WORLD_NAMES.join(', ')}`);
  }
  return loadWorldDocument({ extends: name });
}

/** Parses JSON text of a world document; syntax errors become BAD_INPUT with the position. */
export function parseWorldText(text: string): unknown {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', `world configuration is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}
