import { z } from 'zod';
import { decisionAnswer } from '../../decisioning/decision-answer.js';
import { CHANNELS } from '../../domain/events.js';
import { TwinloopError } from '../../domain/errors.js';
import { withAddsTo } from '../../agents/governance/approval-adds-to.js';
import { parseScenarios } from '../../simulation/index.js';
import { queryTwinsWhere } from '../../twin/twin-query.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { mcpActionRequest, type ActionAnswer, type McpCapabilities } from './mcp-capabilities.js';

const channel = z.enum(CHANNELS);

/**
 * The MCP tools' capabilities over the operator's services: the same calls the HTTP routes make,
 * so an agent over MCP reads what a person reads and acts only through the action policy.
 */
export function mcpCapabilities(s: OperatorServices): McpCapabilities {
  const twinWithScores = (id: string) => {
    const view = s.twins.engine.view(id);
    return view ? { ...view, ...s.decorateTwin(view) } : null;
  };
  return {
    readTwin: async (id) => twinWithScores(id),
    explainChurn: async (id) => {
      const twin = twinWithScores(id) as { scores?: { churn?: unknown; clv?: unknown } } | null;
      if (!twin) return null;
      // Why there is no score: the one refusal of what needs a churn model (`noChurnModel`), else this customer is outside the scored population.
      if (!twin.scores) return { customerId: id, note: s.noChurnModel()?.message ?? 'no churn score: the customer is outside the scored population (churned, or without a plan)' };
      return { customerId: id, churn: twin.scores.churn, lifetimeValue: twin.scores.clv };
    },
    searchTwins: async (filters, offset, limit, keep) => {
      const page = queryTwinsWhere(s.twins.engine, filters, offset, limit, s.scoreFields, keep);
      return { total: page.items.length, items: page.items, next: page.next } as { total: number; items: unknown[] };
    },
    recommend: async (customerId, context) => decisionAnswer(s.decisions.decide(customerId, { channel: channel.parse(context.channel), reason: context.reason, asker: context.asker })),
    simulate: async (scenario, waitMs) => {
      const run = await s.simulations.start(parseScenarios(scenario).scenarios);
      const finished = await Promise.race([s.simulations.wait(run.id), new Promise((r) => setTimeout(r, waitMs).unref())]);
      return finished ?? (await s.simulations.get(run.id));
    },
    simulationRun: async (id) => s.simulations.get(id).catch(() => null),
    // Accepted: answered at once in planning (an agent's call does not wait for the simulation of
    // every candidate plan); get_intent_report follows it.
    createIntent: async ({ text, intent, accept, by }) => {
      const planning = async (id: string) => (await s.intents.startPlanning(id), s.intents.report(id));
      if (text) {
        const r = await s.intents.createFromText(text, { accept, by });
        if (!r.ok) throw new TwinloopError('BAD_INPUT', `${r.reason}${r.suggestions.length ? `; try: ${r.suggestions.join(' | ')}` : ''}`);
        return accept ? planning(r.record.intent.id) : r.record;
      }
      if (intent) {
        const record = await s.intents.createFromDraft(intent, { accept, by });
        return accept ? planning(record.intent.id) : record;
      }
      throw new TwinloopError('BAD_INPUT', 'give text or intent');
    },
    intentReport: async (id) => s.intents.report(id).catch((err: TwinloopError) => (err.code === 'NOT_FOUND' ? null : Promise.reject(err))),
    requestAction: async (req) => {
      const money = req.actionClass === 'credit' || req.actionClass === 'compensation';
      // Named as the tool's field: the caller wrote `amount`, not the request's params.amount.
      if (money && !(typeof req.amount === 'number' && req.amount > 0)) throw new TwinloopError('BAD_INPUT', `request_action: a ${req.actionClass} needs its amount (\`amount\`, a positive number)`);
      const r = await s.guarded.execute(mcpActionRequest(req));
      return r as unknown as ActionAnswer;
    },
    // As GET /approvals: a top-up's approver reads the payment it adds to as it stands now (decision 0093).
    listApprovals: async () => Promise.all((await s.approvals.listPending(200)).map((item) => withAddsTo(item, (id) => s.guarded.standingOf(id)))),
    decideApproval: async (id, d) => {
      const item = await s.approvals.get(id);
      if (!item) throw new TwinloopError('NOT_FOUND', `no approval ${id}`);
      return s.decideApproval(id, { approve: d.approve, by: d.by, reason: d.reason });
    },
    listTwinIds: async (limit) => {
      const engine = s.twins.engine;
      const n = Math.min(limit, engine.table.size);
      return Array.from({ length: n }, (_, i) => engine.table.idAt(i));
    },
  };
}
