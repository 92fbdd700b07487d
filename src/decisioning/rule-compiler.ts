import { closeMatches } from '../domain/close-matches.js';
import { CHANNELS } from '../domain/events.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../twin/twin-features.js';
import { formatRuleProblem, parseRule, type RuleNode, type RuleProblem } from './eligibility-rule.js';

/**
 * Names a rule can read and where they sit in the value vector a compiled rule is given:
 * the twin features first (FEATURE_NAMES order), then the live scores, then the contact context.
 */
export const RULE_SLOT = {
  churn: FEATURE_COUNT,
  clv: FEATURE_COUNT + 1,
  /** 1 when the customer is "at risk": among the riskiest AT_RISK_SHARE by the served churn score (LiveScore.atRisk). */
  at_risk: FEATURE_COUNT + 2,
  channel: FEATURE_COUNT + 3,
  direction: FEATURE_COUNT + 4,
  reason: FEATURE_COUNT + 5,
} as const;
/** Length of the value vector compiled rules read. */
export const RULE_VALUE_COUNT = FEATURE_COUNT + 6;
/** Code of `direction` in the value vector. */
export const DIRECTION_CODE = { inbound: 0, outbound: 1 } as const;
/** Code of an unknown contact reason (never equal to any reason a rule names). */
export const UNKNOWN_REASON = -1;

/** Features holding 0 or 1: usable both as numbers and as conditions (`not is_business`). */
const FLAGS = new Set<string>([
  'is_business', 'is_prepaid', 'payment_autopay', 'payment_electronic_check', 'payment_mailed_check', 'marketing_consent', 'churned',
]);

type ValueType = 'num' | 'flag' | 'bool' | 'channel' | 'direction' | 'reason' | 'str';
type Compiled = { t: 'num'; f: (v: Float64Array) => number } | { t: 'bool'; f: (v: Float64Array) => boolean };

/** A compiled rule: true when the customer and context in `values` satisfy it. */
export type CompiledRule = (values: Float64Array) => boolean;

/** Outcome of compiling rule text: the closure, or the problem and a message with a caret. */
export type CompileResult =
  | { readonly ok: true; readonly rule: CompiledRule; readonly ast: RuleNode }
  | { readonly ok: false; readonly problem: RuleProblem; readonly message: string };

class RuleTypeError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/**
 * The names rules may use and the codes of contact reasons. Reasons are an open vocabulary:
 * each reason a rule names gets a code when the rule is compiled, and `reasonCode` maps a live
 * contact reason to it (a reason no rule names maps to UNKNOWN_REASON). One vocabulary is shared
 * by all rules of a catalogue.
 */
export class RuleVocabulary {
  private readonly reasons = new Map<string, number>();
  private readonly slots = new Map<string, { slot: number; type: ValueType }>();

  constructor() {
    FEATURE_NAMES.forEach((n, i) => this.slots.set(n, { slot: i, type: FLAGS.has(n) ? 'flag' : 'num' }));
    this.slots.set('churn', { slot: RULE_SLOT.churn, type: 'num' });
    this.slots.set('clv', { slot: RULE_SLOT.clv, type: 'num' });
    this.slots.set('at_risk', { slot: RULE_SLOT.at_risk, type: 'flag' });
    this.slots.set('channel', { slot: RULE_SLOT.channel, type: 'channel' });
    this.slots.set('direction', { slot: RULE_SLOT.direction, type: 'direction' });
    this.slots.set('reason', { slot: RULE_SLOT.reason, type: 'reason' });
  }

  /** Every name a rule may read. */
  names(): string[] {
    return [...this.slots.keys()];
  }

  /** The code of a live contact reason (UNKNOWN_REASON when no rule names it). */
  reasonCode(reason: string | undefined): number {
    return reason === undefined ? UNKNOWN_REASON : (this.reasons.get(reason) ?? UNKNOWN_REASON);
  }

  /** @internal The slot and type of a name, or undefined. */
  lookup(name: string): { slot: number; type: ValueType } | undefined {
    return this.slots.get(name);
  }

  /** @internal The code of a string literal compared with a name of type `type`. */
  codeOf(type: ValueType, text: string, pos: number): number {
    if (type === 'channel') {
      const i = (CHANNELS as readonly string[]).indexOf(text);
      if (i < 0) throw new RuleTypeError(`unknown channel '${text}': channels are ${CHANNELS.join(', ')}`, pos);
      return i;
    }
    if (type === 'direction') {
      if (text !== 'inbound' && text !== 'outbound') throw new RuleTypeError(`unknown direction '${text}': use 'inbound' or 'outbound'`, pos);
      return DIRECTION_CODE[text];
    }
    let code = this.reasons.get(text);
    if (code === undefined) {
      code = this.reasons.size;
      this.reasons.set(text, code);
    }
    return code;
  }
}

const isStringType = (t: ValueType) => t === 'channel' || t === 'direction' || t === 'reason';

function asBool(c: Compiled, pos: number, what: string): (v: Float64Array) => boolean {
  if (c.t === 'bool') return c.f;
  throw new RuleTypeError(`${what} is a number, not a condition: compare it, e.g. \`${what} > 0\``, pos);
}

function nameText(node: RuleNode): string {
  return node.type === 'name' ? node.name : 'this value';
}

function typeOf(node: RuleNode, vocab: RuleVocabulary): ValueType {
  if (node.type === 'name') return vocab.lookup(node.name)?.type ?? 'num';
  if (node.type === 'str') return 'str';
  if (node.type === 'bool' || node.type === 'not' || node.type === 'and' || node.type === 'or' || node.type === 'cmp' || node.type === 'in') return 'bool';
  return 'num';
}

function compileNode(node: RuleNode, vocab: RuleVocabulary): Compiled {
  switch (node.type) {
    case 'num': {
      const x = node.value;
      return { t: 'num', f: () => x };
    }
    case 'bool': {
      const x = node.value;
      return { t: 'bool', f: () => x };
    }
    case 'str':
      throw new RuleTypeError(`a quoted string only compares with channel, direction or reason, e.g. \`channel == 'call'\``, node.pos);
    case 'name': {
      const entry = vocab.lookup(node.name);
      if (!entry) {
        const near = closeMatches(node.name, vocab.names());
        const hint = near.length ? `did you mean ${near.join(', ')}?` : 'see the names listed in docs/decisioning.md';
        throw new RuleTypeError(`unknown name '${node.name}': ${hint}`, node.pos);
      }
      if (isStringType(entry.type)) throw new RuleTypeError(`${node.name} can only be compared with == , != or in, e.g. \`${node.name} == '...'\``, node.pos);
      const s = entry.slot;
      return { t: 'num', f: (v) => v[s] };
    }
    case 'neg': {
      const a = numeric(node.arg, vocab);
      return { t: 'num', f: (v) => -a(v) };
    }
    case 'arith': {
      const a = numeric(node.left, vocab);
      const b = numeric(node.right, vocab);
      switch (node.op) {
        case '+':
          return { t: 'num', f: (v) => a(v) + b(v) };
        case '-':
          return { t: 'num', f: (v) => a(v) - b(v) };
        case '*':
          return { t: 'num', f: (v) => a(v) * b(v) };
        case '/':
          return { t: 'num', f: (v) => a(v) / b(v) };
      }
      break;
    }
    case 'not': {
      const a = condition(node.arg, vocab);
      return { t: 'bool', f: (v) => !a(v) };
    }
    case 'and': {
      const a = condition(node.left, vocab);
      const b = condition(node.right, vocab);
      return { t: 'bool', f: (v) => a(v) && b(v) };
    }
    case 'or': {
      const a = condition(node.left, vocab);
      const b = condition(node.right, vocab);
      return { t: 'bool', f: (v) => a(v) || b(v) };
    }
    case 'cmp':
      return compileCompare(node, vocab);
    case 'in':
      return compileIn(node, vocab);
  }
  throw new RuleTypeError('unsupported expression', 0);
}

function numeric(node: RuleNode, vocab: RuleVocabulary): (v: Float64Array) => number {
  const c = compileNode(node, vocab);
  if (c.t === 'num') return c.f;
  throw new RuleTypeError(`expected a number here, found a condition`, node.pos);
}

function condition(node: RuleNode, vocab: RuleVocabulary): (v: Float64Array) => boolean {
  if (node.type === 'name' && vocab.lookup(node.name)?.type === 'flag') {
    const s = (vocab.lookup(node.name) as { slot: number }).slot;
    return (v) => v[s] !== 0;
  }
  return asBool(compileNode(node, vocab), node.pos, nameText(node));
}

function compileCompare(node: Extract<RuleNode, { type: 'cmp' }>, vocab: RuleVocabulary): Compiled {
  const lt = typeOf(node.left, vocab);
  const rt = typeOf(node.right, vocab);
  const op = node.op;
  // A string-valued name (channel, direction, reason) against a quoted string: compare codes.
  if (isStringType(lt) || isStringType(rt) || lt === 'str' || rt === 'str') {
    const [nameNode, strNode] = isStringType(lt) ? [node.left, node.right] : [node.right, node.left];
    const nameType = isStringType(lt) ? lt : rt;
    if (!isStringType(nameType) || strNode.type !== 'str' || nameNode.type !== 'name') {
      throw new RuleTypeError(`compare channel, direction or reason with a quoted string, e.g. \`channel == 'call'\``, node.pos);
    }
    if (op !== '==' && op !== '!=') throw new RuleTypeError(`${nameNode.name} has no order: use == , != or in`, node.pos);
    const s = (vocab.lookup(nameNode.name) as { slot: number }).slot;
    const code = vocab.codeOf(nameType, strNode.value, strNode.pos);
    return op === '==' ? { t: 'bool', f: (v) => v[s] === code } : { t: 'bool', f: (v) => v[s] !== code };
  }
  if (lt === 'bool' || rt === 'bool') {
    if (op !== '==' && op !== '!=') throw new RuleTypeError(`conditions have no order: use == or != between them`, node.pos);
    const a = condition(node.left, vocab);
    const b = condition(node.right, vocab);
    return op === '==' ? { t: 'bool', f: (v) => a(v) === b(v) } : { t: 'bool', f: (v) => a(v) !== b(v) };
  }
  const a = numeric(node.left, vocab);
  const b = numeric(node.right, vocab);
  switch (op) {
    case '==':
      return { t: 'bool', f: (v) => a(v) === b(v) };
    case '!=':
      return { t: 'bool', f: (v) => a(v) !== b(v) };
    case '<':
      return { t: 'bool', f: (v) => a(v) < b(v) };
    case '<=':
      return { t: 'bool', f: (v) => a(v) <= b(v) };
    case '>':
      return { t: 'bool', f: (v) => a(v) > b(v) };
    case '>=':
      return { t: 'bool', f: (v) => a(v) >= b(v) };
  }
}

function compileIn(node: Extract<RuleNode, { type: 'in' }>, vocab: RuleVocabulary): Compiled {
  const t = typeOf(node.arg, vocab);
  let codes: number[];
  let read: (v: Float64Array) => number;
  if (isStringType(t) && node.arg.type === 'name') {
    const arg = node.arg;
    codes = node.items.map((item) => {
      if (typeof item !== 'string') throw new RuleTypeError(`${arg.name} is compared with quoted strings, found ${item}`, node.pos);
      return vocab.codeOf(t, item, node.pos);
    });
    const s = (vocab.lookup(arg.name) as { slot: number }).slot;
    read = (v) => v[s];
  } else {
    codes = node.items.map((item) => {
      if (typeof item !== 'number') throw new RuleTypeError(`${nameText(node.arg)} is a number: list numbers, found '${item}'`, node.pos);
      return item;
    });
    read = numeric(node.arg, vocab);
  }
  const set = Float64Array.from(codes);
  const negated = node.negated;
  return {
    t: 'bool',
    f: (v) => {
      const x = read(v);
      for (let i = 0; i < set.length; i++) if (set[i] === x) return !negated;
      return negated;
    },
  };
}

/** Type-checks a parsed rule and compiles it to a closure over the value vector (no eval). */
export function compileAst(ast: RuleNode, vocab: RuleVocabulary): CompiledRule {
  return condition(ast, vocab);
}

/**
 * Parses, checks and compiles rule text. Unknown names come back with close matches, type
 * errors and syntax errors with their column and a caret under it.
 */
export function compileRule(text: string, vocab: RuleVocabulary): CompileResult {
  const parsed = parseRule(text);
  if (!parsed.ok) return { ok: false, problem: parsed.problem, message: formatRuleProblem(text, parsed.problem) };
  try {
    return { ok: true, rule: compileAst(parsed.ast, vocab), ast: parsed.ast };
  } catch (err) {
    if (err instanceof RuleTypeError) {
      const problem = { message: err.message, pos: err.pos };
      return { ok: false, problem, message: formatRuleProblem(text, problem) };
    }
    throw err;
  }
}

/**
 * Evaluates a (type-valid) tree by walking it: the reference semantics compiled rules must match.
 * Slow; for tests and for explaining a single decision.
 */
export function evaluateRule(ast: RuleNode, values: Float64Array, vocab: RuleVocabulary): boolean {
  const ev = (n: RuleNode): number | boolean => {
    switch (n.type) {
      case 'num':
      case 'bool':
        return n.value;
      case 'str':
        return Number.NaN;
      case 'name':
        return values[(vocab.lookup(n.name) as { slot: number }).slot];
      case 'neg':
        return -(ev(n.arg) as number);
      case 'arith': {
        const a = ev(n.left) as number;
        const b = ev(n.right) as number;
        return n.op === '+' ? a + b : n.op === '-' ? a - b : n.op === '*' ? a * b : a / b;
      }
      case 'not':
        return !truth(n.arg);
      case 'and':
        return truth(n.left) && truth(n.right);
      case 'or':
        return truth(n.left) || truth(n.right);
      case 'cmp': {
        const strSide = n.left.type === 'str' ? n.left : n.right.type === 'str' ? n.right : undefined;
        if (strSide) {
          const nameNode = (strSide === n.left ? n.right : n.left) as Extract<RuleNode, { type: 'name' }>;
          const entry = vocab.lookup(nameNode.name) as { slot: number; type: ValueType };
          const eq = values[entry.slot] === vocab.codeOf(entry.type, strSide.value, strSide.pos);
          return n.op === '==' ? eq : !eq;
        }
        const lb = typeOf(n.left, vocab) === 'bool' || typeOf(n.right, vocab) === 'bool';
        const a = lb ? truth(n.left) : ev(n.left);
        const b = lb ? truth(n.right) : ev(n.right);
        switch (n.op) {
          case '==':
            return a === b;
          case '!=':
            return a !== b;
          case '<':
            return a < b;
          case '<=':
            return a <= b;
          case '>':
            return a > b;
          case '>=':
            return a >= b;
        }
        break;
      }
      case 'in': {
        const t = typeOf(n.arg, vocab);
        const x = ev(n.arg) as number;
        const hit = n.items.some((item) => (typeof item === 'string' ? vocab.codeOf(t, item, n.pos) === x : item === x));
        return n.negated ? !hit : hit;
      }
    }
    return false;
  };
  const truth = (n: RuleNode): boolean => {
    const x = ev(n);
    return typeof x === 'boolean' ? x : x !== 0;
  };
  return truth(ast);
}
