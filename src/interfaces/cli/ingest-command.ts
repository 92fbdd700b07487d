import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import type { RecordOutcome } from '../../domain/event-sink.js';
import { NOT_UTF8_REASON } from '../../domain/event-validation.js';
import type { IntakeRecord } from '../../twin/intake.js';
import { globalOptions, openTwins } from './cli-context.js';
import { setExitCode } from './cli-edge.js';
import { parseCsvMapping, rowToEvent } from './csv-mapping.js';
import { inputFileSize, numberedLines, readInputText } from './input-file.js';
import { createProgress } from './progress.js';

export interface IngestSummary {
  accepted: number;
  duplicates: number;
  rejected: number;
  rejections: { line: number; reason: string }[];
}

interface Numbered {
  line: number;
  record: IntakeRecord;
}

/** Records of an NDJSON file with their line numbers (blank lines skipped). */
async function* ndjsonRecords(path: string, onBytes: (n: number) => void): AsyncGenerator<Numbered> {
  for await (const { line, text, notUtf8 } of numberedLines(path, onBytes)) {
    yield { line, record: notUtf8 ? { text, refused: NOT_UTF8_REASON } : { text } };
  }
}

/** Records of a CSV file (header row first) turned into events by a column mapping. */
async function* csvRecords(path: string, mappingPath: string, onBytes: (n: number) => void): AsyncGenerator<Numbered> {
  const mappingText = readInputText(mappingPath, 'column mapping (--csv-map)', 'docs/ingest.md describes the mapping');
  let mappingJson: unknown;
  try {
    mappingJson = JSON.parse(mappingText);
  } catch (err) {
    throw new TwinloopError('BAD_INPUT', `--csv-map ${mappingPath}: ${(err as Error).message}`);
  }
  const mapping = parseCsvMapping(mappingJson);
  const stream = createReadStream(path);
  stream.on('data', (chunk) => onBytes(chunk.length));
  const parser = stream.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true, trim: false }));
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: info.lines, record: { value: rowToEvent(record, mapping) } };
  }
}

/** Records per submit: big enough for group commit, small enough to keep memory flat. */
const CHUNK = 5_000;

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('Ingest events from an NDJSON file, or a CSV file with a column mapping (--csv-map)')
    .argument('<file>', 'NDJSON (one event per line) or CSV')
    .option('--csv-map <file>', 'JSON column mapping; makes FILE a CSV (see docs/ingest.md)')
    .option('--json', 'print a machine-readable summary {accepted, duplicates, rejected, rejections}; exit code 2 when any record was rejected')
    .action(
      async (file: string, opts: { csvMap?: string; json?: boolean }, command: Command) => {
        const size = inputFileSize(file, opts.csvMap ? 'CSV file' : 'events file');
        const twins = await openTwins(globalOptions(command));
        const progress = createProgress({ json: opts.json });
        progress.start(size, 'ingest');
        const summary: IngestSummary = { accepted: 0, duplicates: 0, rejected: 0, rejections: [] };
        const count = (outcomes: RecordOutcome[], lines: number[]) =>
          outcomes.forEach((o, i) => {
            if (o.status === 'accepted') summary.accepted++;
            else if (o.status === 'duplicate') summary.duplicates++;
            else {
              summary.rejected++;
              summary.rejections.push({ line: lines[i], reason: o.reason });
            }
          });
        try {
          const source = opts.csvMap ? csvRecords(file, opts.csvMap, (n) => progress.increment(n)) : ndjsonRecords(file, (n) => progress.increment(n));
          // Two chunks in flight: the intake checks one while the store commits the other. The
          // intake queues a chunk synchronously, so their order is kept.
          let chunk: Numbered[] = [];
          let previous: Promise<void> = Promise.resolve();
          const flush = async () => {
            const sent = chunk;
            chunk = [];
            // Chunks are answered in the order sent, so counting as each lands keeps lines in order.
            const counted = twins.intake.submitRecords(sent.map((c) => c.record), 'cli').then((o) => count(o, sent.map((c) => c.line)));
            counted.catch(() => {}); // awaited below; marked handled while the previous one finishes
            await previous;
            previous = counted;
          };
          for await (const item of source) {
            chunk.push(item);
            if (chunk.length >= CHUNK) await flush();
          }
          if (chunk.length) await flush();
          await previous;
          // The file is in: a bulk load that has ended, which the embedded store's segment log
          // seals now (decision 0013), so that reading a customer's events after it (training,
          // as-of reads) does not scan the file's unsealed segments.
          await twins.checkpoint({ loadEnded: true });
        } finally {
          progress.stop();
          await twins.close();
        }
        // Scripts see partial failure: the good records are in, the others in the dead letters.
        if (summary.rejected > 0) setExitCode('BAD_INPUT');
        if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else {
          process.stdout.write(`accepted ${summary.accepted}, duplicates ${summary.duplicates}, rejected ${summary.rejected}\n`);
          for (const r of summary.rejections.slice(0, 20)) process.stdout.write(`  line ${r.line}: ${r.reason}\n`);
          if (summary.rejections.length > 20) process.stdout.write(`  … ${summary.rejections.length - 20} more (use --json for all)\n`);
        }
      },
    );
}
