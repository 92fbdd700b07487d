import OpenAI from 'openai';
import { z } from 'zod';
import { TwinloopError } from '../../domain/errors.js';
import { intentDraftSchema, intentSchema, formatIntentIssues, validateIntentDraft, type Intent, type IntentIssue } from './intent-schema.js';

/**
 * The optional LLM adapter: asks any OpenAI-compatible endpoint to turn an operator's sentence
 * into an intent (JSON output), validates the answer with the same schema as every other intent,
 * and returns it as a proposal with the model's raw text. A proposal is never accepted or
 * executed here: the intent service stores it as `proposed`, and a person accepts it.
 */

/** Where the model lives. */
export interface LlmConfig {
  readonly baseURL: string;
  readonly apiKey: string;
  readonly model: string;
}

/** A validated proposal, with what the model actually said. */
export interface LlmIntentProposal {
  readonly intent: Intent;
  readonly rawText: string;
  readonly model: string;
}

/** The adapter's answer: a proposal, or why the model's answer was unusable (with that answer). */
export type LlmProposalResult =
  | { ok: true; proposal: LlmIntentProposal }
  | { ok: false; reason: string; issues: IntentIssue[]; rawText: string };

/** Options of proposeIntentWithLlm. */
export interface ProposeOptions {
  readonly id: string;
  /** ms since epoch; default now. */
  readonly now?: number;
  /** Per-request timeout; default LLM_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

/** A model that has not answered in 30 s is treated as unavailable rather than waited on. */
export const LLM_TIMEOUT_MS = 30_000;

/**
 * Reads the LLM settings from TWINLOOP_LLM_BASE_URL, TWINLOOP_LLM_API_KEY and TWINLOOP_LLM_MODEL;
 * undefined when none is set (the adapter is optional), an error when only some are.
 */
export function llmConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): LlmConfig | undefined {
  const baseURL = env.TWINLOOP_LLM_BASE_URL?.trim();
  const apiKey = env.TWINLOOP_LLM_API_KEY?.trim();
  const model = env.TWINLOOP_LLM_MODEL?.trim();
  if (!baseURL && !apiKey && !model) return undefined;
  const missing = [!baseURL && 'TWINLOOP_LLM_BASE_URL', !apiKey && 'TWINLOOP_LLM_API_KEY', !model && 'TWINLOOP_LLM_MODEL'].filter(Boolean);
  if (missing.length) throw new TwinloopError('BAD_INPUT', `LLM adapter half configured: set ${missing.join(', ')} as well, or unset all three`);
  return { baseURL: baseURL!, apiKey: apiKey!, model: model! };
}

/** The system prompt: the draft's JSON schema and the rules of the answer. */
export function llmSystemPrompt(): string {
  const schema = JSON.stringify(z.toJSONSchema(intentDraftSchema, { io: 'input' }));
  return [
    'You turn a telecom operator\'s retention or communication intent into one JSON object.',
    'Answer with the JSON object only, no prose, matching this JSON Schema:',
    schema,
    'Use only the enumerated values. Omit a field the text does not state rather than inventing it.',
    'Percentages are numbers 0..100. Money amounts are plain numbers with an ISO 4217 currency.',
  ].join('\n');
}

/** Asks the model for an intent and validates its answer; throws UNAVAILABLE when the endpoint fails. */
export async function proposeIntentWithLlm(text: string, config: LlmConfig, options: ProposeOptions): Promise<LlmProposalResult> {
  const client = new OpenAI({ baseURL: config.baseURL, apiKey: config.apiKey, timeout: options.timeoutMs ?? LLM_TIMEOUT_MS, maxRetries: 0 });
  let rawText: string;
  try {
    const completion = await client.chat.completions.create({
      model: config.model,
      temperature: 0,
      response_format: { type: 'json_object' },
      messages: [
        { role: 'system', content: llmSystemPrompt() },
        { role: 'user', content: text },
      ],
    });
    rawText = completion.choices[0]?.message?.content ?? '';
  } catch (err) {
    throw new TwinloopError('UNAVAILABLE', `the LLM endpoint ${config.baseURL} did not answer (${err instanceof Error ? err.message : String(err)}); check TWINLOOP_LLM_BASE_URL and the model name, or use the deterministic parser`, { cause: err });
  }
  return readProposal(text, rawText, config.model, options);
}

/** Validates a model's raw answer into a proposal (pure; exported for tests and replays). */
export function readProposal(text: string, rawText: string, model: string, options: ProposeOptions): LlmProposalResult {
  let json: unknown;
  try {
    // Models sometimes wrap JSON in a Markdown fence despite being asked not to.
    json = JSON.parse(rawText.replace(/^\s*```(?:json)?\s*/i, '').replace(/\s*```\s*$/, ''));
  } catch {
    return { ok: false, reason: 'the model did not answer with valid JSON; retry, or use the deterministic parser', issues: [{ path: '(root)', message: 'not JSON' }], rawText };
  }
  const draft = validateIntentDraft(json);
  if (!draft.ok) {
    return { ok: false, reason: `the model's intent is invalid: ${formatIntentIssues(draft.issues)}`, issues: draft.issues, rawText };
  }
  const iso = new Date(options.now ?? Date.now()).toISOString();
  const intent = intentSchema.parse({ ...draft.value, id: options.id, lifecycleStatus: 'proposed', creationDate: iso, lastUpdate: iso, source: { kind: 'llm', text, model } });
  return { ok: true, proposal: { intent, rawText, model } };
}
