/**
 * Personal data kept from those who do not need it: names, birth dates, identity documents,
 * addresses and contact details, wherever they travel in an answer (an onboarding run's input, a
 * dead letter's raw record, an order's related party, an approval's evidence). The twins hold none
 * (they are keyed by customer id); what reaches the API from applicants, orders and raw records
 * does. Recognised by the field's name, so a new flow's `birthDate` is masked without being
 * listed anywhere, and inside text by the same names in quotes and by the shape of an e-mail
 * address. A raw record (a parked line, kept as the text that arrived) can carry personal data in
 * fields of any name or in no field at all (a CSV line), so it is masked whole: its fields' names
 * stay when it is JSON, every value goes.
 */

/** What a personal value becomes. A string, so an answer keeps its documented shape where the value was text. */
export const MASKED = '[masked: personal data]';

/** Field names holding personal data, compared lower-case without `_`, `-` or spaces. */
const PERSONAL_FIELDS = new Set([
  'fullname', 'givenname', 'familyname', 'firstname', 'lastname', 'middlename', 'surname', 'maidenname',
  'birthdate', 'dateofbirth', 'dob', 'birthplace', 'placeofbirth',
  'documentnumber', 'idnumber', 'nationalid', 'nationalidnumber', 'passportnumber', 'ssn', 'taxid',
  'address', 'streetaddress', 'street', 'street1', 'street2', 'postcode', 'postalcode', 'zipcode', 'postaladdress', 'homeaddress',
  'email', 'emailaddress', 'phone', 'phonenumber', 'mobile', 'mobilenumber', 'msisdn', 'contactmedium', 'iban',
]);
/** Under these fields a plain `name` is a person's (a TMF related party, a contact), not an offer's or a flow's. */
const PEOPLE = new Set(['relatedparty', 'party', 'individual', 'applicant', 'contact', 'customerparty', 'engagedparty']);

/** A TMF629 Customer (`@type` Customer or Twinloop's subclass, which `fields` selection always keeps, or `@baseType` Customer): its own `name` is the person's or organisation's. */
const isTmfCustomer = (o: Record<string, unknown>) => o['@type'] === 'Customer' || o['@type'] === 'TwinloopCustomer' || o['@baseType'] === 'Customer';

const normalise = (key: string) => key.toLowerCase().replace(/[-_ ]/g, '');

/** True when a field of this name holds personal data (inside a `parent` field, when given). */
export function isPersonalField(key: string, parent?: string): boolean {
  const k = normalise(key);
  return PERSONAL_FIELDS.has(k) || (k === 'name' && parent !== undefined && PEOPLE.has(normalise(parent)));
}

// A quoted personal field and its value inside text (JSON, possibly cut off): "birthDate": "1990-01-02".
const QUOTED_FIELD = new RegExp(`"((?:${[...PERSONAL_FIELDS].join('|')}))"\\s*:\\s*("(?:[^"\\\\]|\\\\.)*"?|[^,}\\]\\s]+)`, 'gi');
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// What JSON.parse quotes of the text it could not read: `Unexpected token 'Z', "Zebulon Pl"... is not valid JSON`.
const JSON_EXCERPT = /(Unexpected (?:token|non-whitespace character)[^"]*?)"[\s\S]*?"(\.\.\.)?( is not valid JSON)/g;

/** Fields that hold a raw record as text (a dead letter's `record`): masked whole, see `maskRawRecord`. */
const RAW_RECORD_FIELDS = new Set(['record']);

/** Text with the personal values it carries masked (a raw record, a message quoting one). */
export function maskPersonalText(text: string): string {
  // Most strings carry neither a quote nor an @: left as they are, at the cost of two scans.
  if (!text.includes('"') && !text.includes('@')) return text;
  return text
    .replace(JSON_EXCERPT, (_m, before: string, _cut: string | undefined, after: string) => `${before}"${MASKED}"${after}`)
    .replace(QUOTED_FIELD, (_m, key: string) => `"${key}":"${MASKED}"`)
    .replace(EMAIL, MASKED);
}

/**
 * A raw record masked whole: a JSON record keeps its shape (its fields' names, yes/no and null
 * values), every other value masked, so whoever diagnoses it sees which fields came; anything else
 * (a CSV line, a record cut off) is masked entirely.
 */
export function maskRawRecord(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return MASKED;
  }
  return maskPersonalText(JSON.stringify(maskAll(parsed)));
}

/**
 * Every leaf under a personal field, masked (a whole address object, a list of phone numbers).
 * A yes/no is never personal data: `channelConsent.email: true` is a consent flag that marketers and
 * agents need, not an address.
 */
function maskAll(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(maskAll);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskAll(v)]));
  return MASKED;
}

/**
 * A copy of a JSON-like answer with its personal data masked: the values of personal fields
 * (whatever their type below them), and personal values inside strings. Pure; `value` is untouched.
 */
export function maskPersonal(value: unknown, parent?: string): unknown {
  if (typeof value === 'string') return maskPersonalText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskPersonal(v, parent));
  // Objects with their own JSON form (dates) answer as that.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return maskPersonal((value as { toJSON(): unknown }).toJSON(), parent);
  const out: Record<string, unknown> = {};
  const customer = isTmfCustomer(value as Record<string, unknown>);
  for (const [k, v] of Object.entries(value)) {
    out[k] = isPersonalField(k, parent) || (customer && k === 'name') ? maskAll(v) : typeof v === 'string' && RAW_RECORD_FIELDS.has(k) ? maskRawRecord(v) : maskPersonal(v, k);
  }
  return out;
}
