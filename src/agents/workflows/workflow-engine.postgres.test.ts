import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ok } from '../../domain/connectors/connector-result.js';
import { openWorkflowJournal } from '../../store/open-workflow-journal.js';
import { dropPostgresSchema } from '../../store/postgres-connection.js';
import type { WorkflowDefinition } from './workflow-definition.js';
import { createWorkflowEngine } from './workflow-engine.js';

const url = process.env.DATABASE_URL;

if (!url) {
  describe.skip('workflow engine on PostgreSQL (skipped: DATABASE_URL not set)', () => {
    it('skipped: DATABASE_URL not set', () => undefined);
  });
} else {
  describe('workflow engine on PostgreSQL', () => {
    it('two engines sharing one database never run the same step twice', async () => {
      const schema = `twinloop_wfeng_${randomBytes(4).toString('hex')}`;
      const a = await openWorkflowJournal({ kind: 'postgres', url, schema });
      const b = await openWorkflowJournal({ kind: 'postgres', url, schema });
      const executions = new Map<string, string[]>();
      const wf: WorkflowDefinition<number, number> = {
        id: 'shared',
        version: 1,
        parseInput: Number,
        async run(ctx, n) {
          let sum = 0;
          for (let i = 0; i < 4; i++) {
            sum += await ctx.step({ id: 'work', version: 1, run: async (x: number, s) => {
              executions.set(s.idempotencyKey, [...(executions.get(s.idempotencyKey) ?? []), s.workflowId]);
              return ok(x);
            } }, i);
            if (i === 1) await ctx.sleep('between', 5);
          }
          return sum + n;
        },
      };
      const engines = [createWorkflowEngine({ journal: a, workerId: 'A', pollIntervalMs: 10 }), createWorkflowEngine({ journal: b, workerId: 'B', pollIntervalMs: 10 })];
      try {
        for (const e of engines) e.register(wf);
        // Started by neither worker's loop: both race to claim every run.
        const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => engines[i % 2].start('shared', i, { workflowId: `r${i}` })));
        await Promise.all(engines.map((e) => e.run()));
        const runs = await Promise.all(ids.map((r) => engines[0].waitFor(r.workflowId, { timeoutMs: 30_000 })));
        expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
        expect(executions.size).toBe(40 * 4);
        expect([...executions.values()].every((v) => v.length === 1)).toBe(true);
      } finally {
        await Promise.all(engines.map((e) => e.stop()));
        await a.close();
        await b.close();
        await dropPostgresSchema(url, schema);
      }
    }, 60_000);
  });
}
