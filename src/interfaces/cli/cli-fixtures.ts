import { vi } from 'vitest';
import { buildProgram } from './main.js';

/** Runs `twinloop ARGS` in this process (a test's) and returns what it printed on stdout. */
export async function twinloop(args: string[]): Promise<string> {
  const out: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => out.push(String(chunk)) > 0);
  try {
    await (await buildProgram()).exitOverride().parseAsync(['node', 'twinloop', ...args]);
  } finally {
    write.mockRestore();
  }
  return out.join('');
}
