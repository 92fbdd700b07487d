import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { TwinloopError } from '../../domain/errors.js';
import type { TabularModelDocument } from './model-document.js';
import { MODEL_FORMAT, MODEL_VERSION } from './model-document.js';

/** Writes the model document as JSON. */
export function saveModel(path: string, doc: TabularModelDocument): void {
  writeFileSync(path, JSON.stringify(doc));
}

/** Parses and checks a model document (format and version). */
export function parseModel(text: string): TabularModelDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', 'model file is not valid JSON; pass a file written by `twinloop model train`', { cause: err });
  }
  const doc = value as Partial<TabularModelDocument> | null;
  if (!doc || typeof doc !== 'object' || doc.format !== MODEL_FORMAT) {
    throw new TwinloopError('BAD_INPUT', `not a Twinloop model file (format must be "${MODEL_FORMAT}")`);
  }
  if (doc.version !== MODEL_VERSION) {
    throw new TwinloopError('BAD_INPUT', `model file version ${String(doc.version)} is not supported (expected ${MODEL_VERSION}); retrain the model`);
  }
  return doc as TabularModelDocument;
}

/** Reads a model file, failing with a one-line BAD_INPUT error when it is missing or invalid. */
export function loadModel(path: string): TabularModelDocument {
  if (!existsSync(path)) throw new TwinloopError('BAD_INPUT', `model file not found: ${path}`);
  return parseModel(readFileSync(path, 'utf8'));
}
