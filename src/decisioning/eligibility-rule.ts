/**
 * The rule language of the offer catalogue (eligibility and applicability): a tokenizer and a
 * recursive-descent parser to an AST, and a printer that writes an AST back as rule text.
 * Name checking, typing and compilation live in `rule-compiler.ts`.
 *
 * Grammar (lowest precedence first):
 *   rule    := or
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | compare
 *   compare := sum (('=='|'!='|'<'|'<='|'>'|'>=') sum | 'not'? 'in' list)?
 *   sum     := product (('+'|'-') product)*
 *   product := unary (('*'|'/') unary)*
 *   unary   := '-' unary | atom
 *   atom    := number | string | 'true' | 'false' | name | '(' rule ')'
 *   list    := '[' (number|string) (',' (number|string))* ']'
 */

/** Comparison operators. */
/** The comparison operators of the rule language. */
export const COMPARE_OPS = ['==', '!=', '<', '<=', '>', '>='] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
const isCompareOp = (op: string): op is CompareOp => (COMPARE_OPS as readonly string[]).includes(op);
/** Arithmetic operators. */
export type ArithOp = '+' | '-' | '*' | '/';

/** A rule's syntax tree; `pos` is the 0-based character offset where the node starts. */
export type RuleNode =
  | { readonly type: 'num'; readonly value: number; readonly pos: number }
  | { readonly type: 'str'; readonly value: string; readonly pos: number }
  | { readonly type: 'bool'; readonly value: boolean; readonly pos: number }
  | { readonly type: 'name'; readonly name: string; readonly pos: number }
  | { readonly type: 'neg'; readonly arg: RuleNode; readonly pos: number }
  | { readonly type: 'not'; readonly arg: RuleNode; readonly pos: number }
  | { readonly type: 'and' | 'or'; readonly left: RuleNode; readonly right: RuleNode; readonly pos: number }
  | { readonly type: 'cmp'; readonly op: CompareOp; readonly left: RuleNode; readonly right: RuleNode; readonly pos: number }
  | { readonly type: 'arith'; readonly op: ArithOp; readonly left: RuleNode; readonly right: RuleNode; readonly pos: number }
  | {
      readonly type: 'in';
      readonly negated: boolean;
      readonly arg: RuleNode;
      readonly items: readonly (number | string)[];
      readonly pos: number;
    };

/** A problem in rule text, with the 0-based offset it was found at. */
export interface RuleProblem {
  readonly message: string;
  readonly pos: number;
}

/** Outcome of parsing: the tree, or the first problem with its position. */
export type ParseResult = { readonly ok: true; readonly ast: RuleNode } | { readonly ok: false; readonly problem: RuleProblem };

type Token =
  | { kind: 'num'; value: number; pos: number; text: string }
  | { kind: 'str'; value: string; pos: number; text: string }
  | { kind: 'word'; value: string; pos: number; text: string }
  | { kind: 'op'; value: string; pos: number; text: string }
  | { kind: 'end'; value: ''; pos: number; text: string };

class RuleSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false']);
const TWO_CHAR_OPS = new Set(['==', '!=', '<=', '>=']);
const ONE_CHAR_OPS = new Set(['<', '>', '+', '-', '*', '/', '(', ')', '[', ']', ',']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9.]/.test(ch)) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
      if (!m) throw new RuleSyntaxError(`'${ch}' does not start a number`, i);
      i += m[0].length;
      out.push({ kind: 'num', value: Number(m[0]), pos: start, text: m[0] });
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i)) as RegExpExecArray;
      i += m[0].length;
      out.push({ kind: 'word', value: m[0], pos: start, text: m[0] });
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = text.indexOf(ch, i + 1);
      if (end < 0) throw new RuleSyntaxError(`string is not closed: add the closing ${ch}`, i);
      out.push({ kind: 'str', value: text.slice(i + 1, end), pos: start, text: text.slice(i, end + 1) });
      i = end + 1;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      out.push({ kind: 'op', value: two, pos: start, text: two });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(ch)) {
      out.push({ kind: 'op', value: ch, pos: start, text: ch });
      i++;
      continue;
    }
    if (ch === '=') throw new RuleSyntaxError(`'=' is not an operator: write '==' to compare`, i);
    if (ch === '&' || ch === '|' || ch === '!') throw new RuleSyntaxError(`'${ch}' is not an operator: write 'and', 'or', 'not'`, i);
    throw new RuleSyntaxError(`unexpected character '${ch}'`, i);
  }
  out.push({ kind: 'end', value: '', pos: text.length, text: 'end of rule' });
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private isWord(w: string): boolean {
    const t = this.peek();
    return t.kind === 'word' && t.value === w;
  }
  private isOp(o: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.value === o;
  }
  private expectOp(o: string, what: string): Token {
    const t = this.peek();
    if (t.kind !== 'op' || t.value !== o) throw new RuleSyntaxError(`expected '${o}' ${what}, found ${describe(t)}`, t.pos);
    return this.next();
  }

  parseRule(): RuleNode {
    const node = this.or();
    const t = this.peek();
    if (t.kind === 'op' && isCompareOp(t.value)) {
      throw new RuleSyntaxError(`comparisons do not chain: write \`a < b and b < c\``, t.pos);
    }
    if (t.kind !== 'end') throw new RuleSyntaxError(`unexpected ${describe(t)}: join conditions with 'and' or 'or'`, t.pos);
    return node;
  }
  private or(): RuleNode {
    return this.joined('or', () => this.and());
  }
  private and(): RuleNode {
    return this.joined('and', () => this.not());
  }
  /** `operand (word operand)*`, grouped from the left. */
  private joined(word: 'and' | 'or', operand: () => RuleNode): RuleNode {
    let left = operand();
    while (this.isWord(word)) {
      this.next();
      left = { type: word, left, right: operand(), pos: left.pos };
    }
    return left;
  }
  private not(): RuleNode {
    if (this.isWord('not')) {
      const t = this.next();
      return { type: 'not', arg: this.not(), pos: t.pos };
    }
    return this.compare();
  }
  private compare(): RuleNode {
    const left = this.sum();
    const t = this.peek();
    if (t.kind === 'op' && isCompareOp(t.value)) {
      this.next();
      return { type: 'cmp', op: t.value, left, right: this.sum(), pos: left.pos };
    }
    let negated = false;
    if (this.isWord('not') && this.tokens[this.i + 1]?.kind === 'word' && this.tokens[this.i + 1].value === 'in') {
      this.next();
      negated = true;
    }
    if (this.isWord('in')) {
      this.next();
      return { type: 'in', negated, arg: left, items: this.list(), pos: left.pos };
    }
    return left;
  }
  private list(): (number | string)[] {
    this.expectOp('[', "to open the list after 'in'");
    const items: (number | string)[] = [];
    for (;;) {
      let t = this.next();
      let sign = 1;
      if (t.kind === 'op' && t.value === '-') {
        sign = -1;
        t = this.next();
      }
      if (t.kind === 'num') items.push(sign * t.value);
      else if (t.kind === 'str' && sign === 1) items.push(t.value);
      else throw new RuleSyntaxError(`expected a number or a quoted string in the list, found ${describe(t)}`, t.pos);
      if (this.isOp(',')) {
        this.next();
        continue;
      }
      this.expectOp(']', 'to close the list');
      return items;
    }
  }
  private sum(): RuleNode {
    let left = this.product();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || (t.value !== '+' && t.value !== '-')) return left;
      this.next();
      left = { type: 'arith', op: t.value, left, right: this.product(), pos: left.pos };
    }
  }
  private product(): RuleNode {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || (t.value !== '*' && t.value !== '/')) return left;
      this.next();
      left = { type: 'arith', op: t.value, left, right: this.unary(), pos: left.pos };
    }
  }
  private unary(): RuleNode {
    if (this.isOp('-')) {
      const t = this.next();
      return { type: 'neg', arg: this.unary(), pos: t.pos };
    }
    return this.atom();
  }
  private atom(): RuleNode {
    const t = this.next();
    if (t.kind === 'num') return { type: 'num', value: t.value, pos: t.pos };
    if (t.kind === 'str') return { type: 'str', value: t.value, pos: t.pos };
    if (t.kind === 'word') {
      if (t.value === 'true' || t.value === 'false') return { type: 'bool', value: t.value === 'true', pos: t.pos };
      if (KEYWORDS.has(t.value)) throw new RuleSyntaxError(`'${t.value}' cannot stand here: a value or a name is missing before it`, t.pos);
      return { type: 'name', name: t.value, pos: t.pos };
    }
    if (t.kind === 'op' && t.value === '(') {
      const inner = this.or();
      this.expectOp(')', 'to close the parenthesis');
      return inner;
    }
    throw new RuleSyntaxError(`expected a value, a name or '(', found ${describe(t)}`, t.pos);
  }
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end of the rule' : `'${t.text}'`;
}

/** Parses rule text into its syntax tree; a syntax problem comes back with its position. */
export function parseRule(text: string): ParseResult {
  try {
    const tokens = tokenize(text);
    if (tokens.length === 1) return { ok: false, problem: { message: 'the rule is empty: write a condition such as `churn >= 0.2`', pos: 0 } };
    return { ok: true, ast: new Parser(tokens).parseRule() };
  } catch (err) {
    if (err instanceof RuleSyntaxError) return { ok: false, problem: { message: err.message, pos: err.pos } };
    throw err;
  }
}

const PRECEDENCE: Record<RuleNode['type'], number> = {
  or: 1, and: 2, not: 3, cmp: 4, in: 4, arith: 5, neg: 7, num: 8, str: 8, bool: 8, name: 8,
};
const arithPrecedence = (op: ArithOp) => (op === '+' || op === '-' ? 5 : 6);
const precOf = (n: RuleNode) => (n.type === 'arith' ? arithPrecedence(n.op) : PRECEDENCE[n.type]);

const literal = (v: number | string) =>
  typeof v === 'string' ? `'${v}'` : v < 0 || Object.is(v, -0) ? `-${String(-v)}` : String(v);
// Negative numbers print parenthesised so that `a - -1` and `-1` re-parse to the same tree.
const printNumber = (v: number) => (v < 0 || Object.is(v, -0) ? `(${String(v)})` : String(v));

/**
 * Writes a tree back as rule text with the fewest parentheses that keep its shape
 * (parsing the text gives back the same tree, positions aside).
 */
export function printRule(node: RuleNode): string {
  const wrap = (child: RuleNode, min: number) => (precOf(child) < min ? `(${printRule(child)})` : printRule(child));
  switch (node.type) {
    case 'num':
      return printNumber(node.value);
    case 'str':
      return `'${node.value}'`;
    case 'bool':
      return String(node.value);
    case 'name':
      return node.name;
    case 'neg':
      return `-${wrap(node.arg, 7)}`;
    case 'not':
      return `not ${wrap(node.arg, 3)}`;
    case 'and':
    case 'or': {
      const p = PRECEDENCE[node.type];
      return `${wrap(node.left, p)} ${node.type} ${wrap(node.right, p + 1)}`;
    }
    case 'cmp':
      return `${wrap(node.left, 5)} ${node.op} ${wrap(node.right, 5)}`;
    case 'arith': {
      const p = arithPrecedence(node.op);
      return `${wrap(node.left, p)} ${node.op} ${wrap(node.right, p + 1)}`;
    }
    case 'in':
      return `${wrap(node.arg, 5)} ${node.negated ? 'not in' : 'in'} [${node.items.map(literal).join(', ')}]`;
  }
}

/** Formats a problem as a message with the rule text and a caret under the position. */
export function formatRuleProblem(text: string, problem: RuleProblem): string {
  return `${problem.message} (at column ${problem.pos + 1})\n  ${text}\n  ${' '.repeat(problem.pos)}^`;
}
