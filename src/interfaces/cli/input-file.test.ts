import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { numberedLines } from './input-file.js';

it('reads numbered non-blank lines, marking a line that is not UTF-8 instead of replacing its bytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'twinloop-lines-'));
  try {
    const file = join(dir, 'events.ndjson');
    // Line 3 holds é as the single Latin-1 byte 0xE9; line 4 a real U+FFFD, which is valid UTF-8; CRLF endings.
    await writeFile(file, Buffer.concat([Buffer.from('{"a":1}\r\n\n'), Buffer.from('{"b":"caf\u00e9"}\n', 'latin1'), Buffer.from('{"c":"\ufffd"}\n{"d":4}')]));
    let bytes = 0;
    const lines = [];
    for await (const l of numberedLines(file, (n) => (bytes += n))) lines.push(l);
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 3, text: '{"b":"caf\ufffd"}', notUtf8: true },
      { line: 4, text: '{"c":"\ufffd"}' },
      { line: 5, text: '{"d":4}' },
    ]);
    expect(bytes).toBe(42);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
