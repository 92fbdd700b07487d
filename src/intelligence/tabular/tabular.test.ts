import { describe, expect, it } from 'vitest';
import { parseCsvTable } from './csv-table.js';
import { inferColumnKind } from './column-inference.js';
import { resolveTarget } from './target.js';
import { encodeRecord, encodeTable, fitEncoder } from './encoder.js';
import { parseBoolean, parseNumber } from './value-parsing.js';
import { TwinloopError } from '../../domain/errors.js';

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('CSV reading', () => {
  it('handles a BOM, CRLF endings, quoted commas and trims header names', () => {
    const t = parseCsvTable('\uFEFFid ,name,amount\r\n1,"Smith, J",3.5\r\n2,"A ""quoted"" one",\r\n');
    expect(t.names).toEqual(['id', 'name', 'amount']);
    expect(t.rowCount).toBe(2);
    expect(t.columns[1]).toEqual(['Smith, J', 'A "quoted" one']);
    expect(parseNumber(t.columns[2][1])).toBeNaN();
  });
});

describe('type inference', () => {
  it.each([
    [['Yes', 'No', 'yes', 'NO']],
    [['True', 'False', 'true']],
    [['T', 'F', 't']],
    [['Y', 'N', 'y']],
    [['1', '0', '1']],
  ])('reads %j as boolean', (values) => {
    expect(inferColumnKind(values, all(values.length))).toBe('boolean');
  });
  it('treats blank, " " and NA as missing numbers', () => {
    expect(inferColumnKind(['1.5', ' ', 'NA', '', '3'], all(5))).toBe('numeric');
    expect(parseBoolean('maybe')).toBeNaN();
  });
  it('tells categorical, high-cardinality, identifier-like and constant columns apart', () => {
    expect(inferColumnKind(['a', 'b', 'c', 'a'], all(4))).toBe('categorical');
    const many = Array.from({ length: 1000 }, (_, i) => `lvl${i % 80}`);
    expect(inferColumnKind(many, all(1000))).toBe('high-cardinality');
    const ids = Array.from({ length: 1000 }, (_, i) => `id-${i}`);
    expect(inferColumnKind(ids, all(1000))).toBe('identifier-like');
    expect(inferColumnKind(['x', 'x', ''], all(3))).toBe('constant');
  });
});

describe('target resolution', () => {
  const table = (values: string[]) => parseCsvTable(`y\n${values.join('\n')}\n`);
  it.each([
    [['Yes', 'No', 'No'], 'Yes'],
    [['false', 'TRUE', 'false'], 'TRUE'],
    [['0', '1', '0'], '1'],
    [['Stayed', 'Churned', 'Stayed'], 'Churned'],
    [['red', 'blue', 'blue', 'blue'], 'red'],
  ])('picks the positive class of %j', (values, positive) => {
    expect(resolveTarget(table(values), 'y').positive).toBe(positive);
  });
  it('rejects a target that is not two-valued and an unknown column', () => {
    expect(() => resolveTarget(table(['a', 'b', 'c']), 'y')).toThrow(/exactly two values/);
    expect(() => resolveTarget(table(['a', 'b']), 'nope')).toThrow(TwinloopError);
  });
  it('leaves out rows with a missing target', () => {
    const t = parseCsvTable('x,y\n1,Yes\n2,\n3,No\n');
    expect(resolveTarget(t, 'y').rows).toEqual(Uint32Array.from([0, 2]));
  });
});

describe('encoder', () => {
  const csv = ['customer,plan,tenure,paperless,const,churn'];
  for (let i = 0; i < 60; i++) csv.push(`c${i},${['basic', 'plus', 'max'][i % 3]},${i % 7 === 0 ? '' : i},${i % 2 ? 'Yes' : 'No'},k,${i % 3 === 0 ? 'Yes' : 'No'}`);
  const table = parseCsvTable(csv.join('\n'));
  const target = resolveTarget(table, 'churn');
  const { encoder, matrix } = fitEncoder(table, target.rows, target.labels, { target: 'churn', id: 'customer' });

  it('never uses the id column, the target or constant columns as features', () => {
    const names = encoder.features.map((f) => f.name);
    expect(names).toEqual(['plan', 'tenure', 'paperless']);
    expect(encoder.skipped).toEqual([{ name: 'const', reason: 'constant' }]);
    expect(matrix.cols).toBe(3);
  });
  it('orders categorical codes by training positive rate', () => {
    const plan = encoder.features[0];
    expect(plan.kind === 'categorical' && plan.levels[plan.levels.length - 1]).toBe('basic');
  });
  it('turns unseen categories and absent columns into missing values with a warning', () => {
    const { row, warnings } = encodeRecord(encoder, { plan: 'gold', paperless: 'yes' });
    expect(Number.isNaN(row[0]) && Number.isNaN(row[1])).toBe(true);
    expect(row[2]).toBe(1);
    expect(warnings.join(' ')).toMatch(/plan.*unseen.*gold/);
    expect(warnings.join(' ')).toMatch(/tenure.*absent/);
    const other = parseCsvTable('plan,tenure,paperless\nplus,3,No\n');
    expect(encodeTable(encoder, other).warnings).toEqual([]);
  });
});
