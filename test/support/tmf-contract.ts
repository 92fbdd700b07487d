import { Ajv, type ValidateFunction } from 'ajv';
import { tmfSpec, type TmfApi } from '../../src/interfaces/http/tmf/tmf-spec.js';

/**
 * Checks answers of the TMF APIs against the **raw** official definitions (specs/tmf, Swagger 2.0
 * `definitions`), with ajv, independently of the zod schemas the routes are generated from. Each
 * call returns the problems found (empty when the answer conforms).
 */
export function officialContract(): {
  check(api: TmfApi, definition: string, value: unknown, what: string): string[];
  checkList(api: TmfApi, definition: string, res: { headers: Headers | Record<string, unknown>; body: unknown }, what: string): string[];
} {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const validators = new Map<string, ValidateFunction>();
  const check = (api: TmfApi, definition: string, value: unknown, what: string): string[] => {
    const key = `${api}/${definition}`;
    let validate = validators.get(key);
    if (!validate) {
      const spec = tmfSpec(api);
      if (!spec.definitions[definition]) return [`${what}: ${api} defines no ${definition}`];
      validate = ajv.compile({ $ref: `#/definitions/${definition}`, definitions: spec.definitions });
      validators.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${what}: ${api} ${definition}${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  };
  const header = (headers: Headers | Record<string, unknown>, name: string) => (headers instanceof Headers ? headers.get(name) : (headers[name.toLowerCase()] as string | undefined));
  return {
    check,
    checkList(api, definition, res, what) {
      if (!Array.isArray(res.body)) return [`${what}: a list answers an array, not ${JSON.stringify(res.body).slice(0, 100)}`];
      const problems = res.body.flatMap((item, i) => check(api, definition, item, `${what}[${i}]`));
      const total = Number(header(res.headers, 'X-Total-Count'));
      const result = Number(header(res.headers, 'X-Result-Count'));
      if (!Number.isInteger(total) || total < res.body.length) problems.push(`${what}: X-Total-Count ${String(header(res.headers, 'X-Total-Count'))} for ${res.body.length} items`);
      if (result !== res.body.length) problems.push(`${what}: X-Result-Count ${String(header(res.headers, 'X-Result-Count'))} for ${res.body.length} items`);
      return problems;
    },
  };
}
