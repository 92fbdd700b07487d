import { createReadStream, readFileSync, statSync } from 'node:fs';
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

/** Decodes UTF-8 strictly: a line that is not UTF-8 is reported as such, not silently repaired. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** One non-blank line of a text file; `notUtf8` when its bytes are not UTF-8 (`text` then holds them repaired, for messages). */
export interface NumberedLine {
  line: number;
  text: string;
  notUtf8?: true;
}

/**
 * The non-blank lines of a text file with their 1-based line numbers (LF or CRLF endings);
 * `onBytes` sees the bytes as they are read (progress).
 */
export async function* numberedLines(file: string, onBytes: (n: number) => void): AsyncGenerator<NumberedLine> {
  let line = 0;
  let rest: Buffer = Buffer.alloc(0);
  const emit = (bytes: Buffer): NumberedLine | undefined => {
    line++;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    const raw = bytes.subarray(0, end);
    try {
      const text = STRICT_UTF8.decode(raw);
      return text.trim() ? { line, text } : undefined;
    } catch {
      return { line, text: raw.toString('utf8'), notUtf8: true };
    }
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    onBytes(chunk.length);
    let data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
      const out = emit(data.subarray(0, nl));
      data = data.subarray(nl + 1);
      if (out) yield out;
    }
    rest = Buffer.from(data);
  }
  if (rest.length) {
    const out = emit(rest);
    if (out) yield out;
  }
}
