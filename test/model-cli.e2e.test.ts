import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '..', 'bin', 'twinloop.js');
const twinloop = (args: string[]) => run(process.execPath, [BIN, ...args]);

/** A churn table with a known signal: month-to-month and short tenure churn more; ids and a noise column. */
function churnCsv(rows: number, seed: number): string {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = ['customer_ref,Contract,tenure,MonthlyCharges,Paperless,notes,Churn'];
  for (let i = 0; i < rows; i++) {
    const contract = ['Month-to-month', 'One year', 'Two year'][Math.floor(rnd() * 3)];
    const tenure = Math.floor(rnd() * 72);
    const charges = (20 + rnd() * 100).toFixed(2);
    const logit = -1.5 + (contract === 'Month-to-month' ? 1.8 : contract === 'One year' ? 0.2 : -1) - tenure / 30 + (Number(charges) - 70) / 60;
    const churn = rnd() < 1 / (1 + Math.exp(-logit)) ? 'Yes' : 'No';
    lines.push(`ID-${seed}-${i},${contract},${i % 50 === 0 ? '' : tenure},${charges},${rnd() < 0.5 ? 'Y' : 'N'},"free, text ${i}",${churn}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

describe('twinloop model CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'twinloop-model-'));
    writeFileSync(join(dir, 'train.csv'), churnCsv(1500, 1));
    writeFileSync(join(dir, 'new.csv'), churnCsv(200, 2));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains on a CSV, scores another with id,score, and cross-validates', async () => {
    const model = join(dir, 'model.json');
    await twinloop(['model', 'train', '--csv', join(dir, 'train.csv'), '--target', 'Churn', '--id', 'customer_ref', '--drop', 'notes', '--out', model]);
    const doc = JSON.parse(readFileSync(model, 'utf8'));
    expect(JSON.stringify(doc.featureNames ?? doc)).not.toContain('customer_ref');
    const out = join(dir, 'scores.csv');
    await twinloop(['model', 'score', '--model', model, '--csv', join(dir, 'new.csv'), '--out', out]);
    const rows = readFileSync(out, 'utf8').trim().split(/\r?\n/);
    expect(rows[0]).toBe('id,score');
    expect(rows).toHaveLength(201);
    const scores = rows.slice(1).map((r) => r.split(','));
    expect(scores[0][0]).toBe('ID-2-0');
    for (const [, score] of scores) expect(Number(score)).toBeGreaterThanOrEqual(0);
    const cv = await twinloop(['model', 'cv', '--csv', join(dir, 'train.csv'), '--target', 'Churn', '--id', 'customer_ref', '--drop', 'notes', '--folds', '3', '--repeats', '1', '--json']);
    const result = JSON.parse(cv.stdout.trim().split('\n').pop()!);
    expect(result.auc_mean).toBeGreaterThan(0.7);
    expect(result.auc_mean).toBeLessThan(0.95);
  });

  it('names an unknown target column and exits 2', async () => {
    await expect(twinloop(['model', 'train', '--csv', join(dir, 'train.csv'), '--target', 'Churned', '--out', join(dir, 'x.json')])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Churned') });
  });
});
