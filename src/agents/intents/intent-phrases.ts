import type { FilterOp } from '../../twin/feature-filter.js';
import { SEGMENT_FIELDS, type IntentChannel, type SegmentField } from './intent-schema.js';

/**
 * The vocabulary the deterministic intent parser understands: regular-expression pieces for
 * numbers, money, channels and feature names, and the functions that turn matched text into
 * values. Kept apart from the parser so that docs/intents.md and the tests can follow one list.
 */

/** A number as people write it: `50000`, `50,000`, `50.000`, `12.5`, with an optional k/m. */
export const NUM = String.raw`(\d{1,3}(?:[,.]\d{3})+(?![\d])|\d+(?:\.\d+)?)\s*(k|m|thousand|million)?\b`;

/** Small counts written as words, for horizons and contact limits ("next three months"). */
export const NUMBER_WORDS: Readonly<Record<string, number>> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  a: 1, an: 1,
};
/** Regex alternation of NUMBER_WORDS. */
export const NUMBER_WORD = Object.keys(NUMBER_WORDS).join('|');

/** Currency symbols and words, mapped to ISO 4217 codes. */
const CURRENCIES: readonly (readonly [RegExp, string])[] = [
  [/^(€|eur|euros?)$/i, 'EUR'],
  [/^(\$|usd|dollars?)$/i, 'USD'],
  [/^(£|gbp|pounds?)$/i, 'GBP'],
];
/** Regex piece matching a currency symbol or word. */
export const CURRENCY = String.raw`(?:€|\$|£|\beur\b|\beuros?\b|\busd\b|\bdollars?\b|\bgbp\b|\bpounds?\b)`;

/** The ISO code of a currency symbol or word, or undefined when the text names none. */
export function currencyCode(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const t = text.trim();
  return CURRENCIES.find(([re]) => re.test(t))?.[1];
}

/**
 * The value of a matched NUM. A group of three digits after a comma or dot is a thousands
 * separator (`10,000`, `10.000`); otherwise a dot is the decimal point (`12.5`).
 */
export function numberValue(digits: string, suffix?: string): number {
  const grouped = /^\d{1,3}(?:[,.]\d{3})+$/.test(digits);
  const base = grouped ? Number(digits.replace(/[,.]/g, '')) : Number(digits);
  const s = suffix?.toLowerCase();
  if (s === 'k' || s === 'thousand') return base * 1_000;
  if (s === 'm' || s === 'million') return base * 1_000_000;
  return base;
}

/** A count written as digits or a word (`3`, `three`). */
export function countValue(text: string): number {
  const t = text.toLowerCase();
  return NUMBER_WORDS[t] ?? Number(t);
}

/** Words for contact channels, mapped to the channels they stand for. */
const CHANNEL_WORDS: readonly (readonly [RegExp, readonly IntentChannel[]])[] = [
  [/^(sms|texts?|text messages?)$/i, ['sms']],
  [/^(e-?mails?|mail)$/i, ['email']],
  [/^push( notifications?)?$/i, ['push']],
  [/^(in-?app|app)( messages?)?$/i, ['in_app', 'push']],
  [/^(calls?|phone( calls?)?|phone|human agents?|agents?|call-?backs?|human tasks?)$/i, ['human_task']],
];
/** Regex piece matching one channel word. */
export const CHANNEL_WORD = String.raw`(?:text\s+messages?|texts?|sms|e-?mails?|mail|push(?:\s+notifications?)?|in-?app(?:\s+messages?)?|app(?:\s+messages?)?|phone\s+calls?|phone|calls?|call-?backs?|human\s+agents?|agents?|human\s+tasks?)`;
/** Regex piece matching a list of channel words (`sms/app/email`, `sms and email`). */
export const CHANNEL_LIST = String.raw`${CHANNEL_WORD}(?:\s*(?:/|,|\+|\band\b|\bor\b)\s*${CHANNEL_WORD})*`;

/** The channels a list of channel words names (`sms/app` → sms, in_app, push). */
export function channelsOf(list: string): IntentChannel[] {
  const out = new Set<IntentChannel>();
  for (const word of list.split(/\s*(?:\/|,|\+|\band\b|\bor\b)\s*/i)) {
    const w = word.trim().replace(/\s+/g, ' ');
    if (!w) continue;
    const hit = CHANNEL_WORDS.find(([re]) => re.test(w));
    if (hit) for (const ch of hit[1]) out.add(ch);
  }
  return [...out];
}

/** Feature-name aliases for segment filters, longest first so that `churn score` wins over `churn`. */
const FIELD_ALIASES: readonly (readonly [string, SegmentField])[] = [
  ['churn probability', 'churn'],
  ['churn score', 'churn'],
  ['churn risk', 'churn'],
  ['lifetime value', 'clv'],
  ['tenure', 'tenure_days'],
  ['arpu', 'arpu_3m'],
];
/** Regex piece matching a segment field name or alias. */
export const FIELD = `(?:${[...FIELD_ALIASES.map(([a]) => a.replace(/ /g, String.raw`\s+`)), ...[...SEGMENT_FIELDS].sort((a, b) => b.length - a.length)].join('|')})`;

/** The field a matched FIELD names. */
export function fieldOf(text: string): SegmentField | undefined {
  const t = text.toLowerCase().replace(/\s+/g, ' ');
  const alias = FIELD_ALIASES.find(([a]) => a === t);
  if (alias) return alias[1];
  return (SEGMENT_FIELDS as readonly string[]).includes(t) ? (t as SegmentField) : undefined;
}

/** Regex piece matching a comparison written as a symbol or words. */
export const COMPARISON = String.raw`(?:>=|<=|!=|==|=|>|<|\bat\s+least\b|\bat\s+most\b|\babove\b|\bbelow\b|\bover\b|\bunder\b|\bmore\s+than\b|\bless\s+than\b)`;

/** The operator a matched COMPARISON stands for. */
export function opOf(text: string): FilterOp {
  const t = text.toLowerCase().replace(/\s+/g, ' ').trim();
  if (t === '>=' || t === 'at least') return '>=';
  if (t === '<=' || t === 'at most') return '<=';
  if (t === '!=') return '!=';
  if (t === '==' || t === '=') return '==';
  if (t === '<' || t === 'below' || t === 'under' || t === 'less than') return '<';
  return '>';
}

/**
 * Words that carry no meaning of their own in an intent ("keep *our* customers *who are* at
 * risk"); any other word left over after the phrases are matched is reported as not understood.
 */
export const FILLER_WORDS = new Set([
  'a', 'an', 'the', 'our', 'my', 'all', 'of', 'among', 'amongst', 'in', 'for', 'to', 'and', 'with', 'who', 'are', 'is',
  'that', 'those', 'these', 'their', 'them', 'please', 'at', 'on', 'only', 'per', 'this', 'some', 'any', 'as', 'many',
  'possible', 'customers', 'customer', 'subscribers', 'subscriber', 'users', 'user', 'clients', 'client', 'people',
  'segment', 'base', 'we', 'i', 'want', 'would', 'like', 'let', 'us', 'can', 'from', 'by', 'via', 'be', 'should',
  'using', 'while', 'but', 'then', 'also', 'it', 'its', 'so', 'total', 'overall', 'campaign', 'try',
]);
