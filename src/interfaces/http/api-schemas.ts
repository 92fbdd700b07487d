import { z } from 'zod';
import { ERROR_CODES } from '../../domain/errors.js';

/**
 * Schemas shared by the route modules: the error answer, ids in paths, times, free-form JSON.
 *
 * A schema worth a name in the OpenAPI document (`components.schemas`) says so with
 * `.meta({ id: 'Twin', description })`. `.meta()` answers a copy, registered in zod's registry of
 * schema metadata (where `.describe()` writes too, and which the document is made from): a domain
 * schema named here stays as its own layer made it; routes use the copy.
 */

/** Every error answer: the code of the one error table (`error-mapping.ts`) and what to do next. */
export const errorAnswer = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string().describe('What is wrong, naming the field, and what to do next'),
    }),
  })
  .meta({ id: 'Error', description: 'A refused or failed request' });

/** The error answers a route may give, by status (merge into `response`). */
export function errors<const S extends readonly (400 | 401 | 403 | 404 | 409 | 413 | 503)[]>(...statuses: S): { [K in S[number]]: typeof errorAnswer } {
  return Object.fromEntries(statuses.map((s) => [s, errorAnswer])) as { [K in S[number]]: typeof errorAnswer };
}

/** An ISO-8601 time as the API writes it. */
export const isoTime = z.string().describe('ISO-8601 time');

/** A time given in a query (ISO-8601), checked, as milliseconds since the epoch. */
export const isoTimeQuery = z
  .string()
  .transform((value, ctx) => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not an ISO-8601 time` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ format: 'date-time' });

/** `{ id }` of a path such as `/intents/:id`. */
export const idParams = z.object({ id: z.string().min(1).max(200) });

/** A JSON object whose shape another document describes (named in its description). */
export const jsonObject = z.record(z.string(), z.unknown());

/**
 * A JSON object the domain validates itself, naming every problem with its path (an offering, a
 * scenario, an intent draft), documented as the named component it must match (`ScenarioInput`).
 */
export const documentedAs = (component: string) => jsonObject.meta({ $ref: `#/components/schemas/${component}` });

/** A list in an answer (read-only, as the domain's own types hand lists out). */
export const list = <T extends z.ZodType>(item: T) => z.array(item).readonly();

/** A page size: at least 1, at most `max`, `fallback` when absent. */
export const pageLimit = (fallback: number, max = 1000) => z.coerce.number().int().min(1).max(max).default(fallback);
