import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { TwinloopError } from '../../domain/errors.js';

/** The refusal for a file named on the command line that cannot be read: BAD_INPUT, naming the file. */
function unreadable(what: string, file: string, err: unknown, hint?: string): TwinloopError {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : (code ?? (err as Error).message);
  return new TwinloopError('BAD_INPUT', `cannot read the ${what} ${file}: ${reason}${hint ? `; ${hint}` : ''}`, { cause: err });
}

/** The text of a file named on the command line (`what` names it in the refusal, `hint` says what to give instead). */
export function readInputText(file: string, what: string, hint?: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw unreadable(what, file, err, hint);
  }
}

/** The size in bytes of a file named on the command line, refusing one that is missing or a folder. */
export function inputFileSize(file: string, what: string): number {
  let stats;
  try {
    stats = statSync(file);
  } catch (err) {
    throw unreadable(what, file, err);
  }
  if (stats.isDirectory()) throw unreadable(what, file, Object.assign(new Error('a folder'), { code: 'EISDIR' }));
  return stats.size;
}

/** The non-blank lines of a text file with their 1-based line numbers; `onBytes` sees the bytes as they are read (progress). */
export async function* numberedLines(file: string, onBytes: (n: number) => void): AsyncGenerator<{ line: number; text: string }> {
  const stream = createReadStream(file);
  stream.on('data', (chunk) => onBytes(chunk.length));
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim()) yield { line, text };
  }
}
