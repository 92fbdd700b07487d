import { describe, expect, it } from 'vitest';
import { buildProgram, commandNamed } from './main.js';

const argv = (...args: string[]) => ['node', 'twinloop', ...args];
const names = (program: { commands: ReadonlyArray<{ name(): string }> }) => program.commands.map((c) => c.name());

describe('twinloop loads the module of the command it runs', () => {
  it('finds the command after the program options, values included', () => {
    expect(commandNamed(argv('--data-dir', 'twin', 'replay'))).toBe('replay');
    expect(commandNamed(argv('--lateness', '72h', '--database-url', 'postgres://x', 'twin', 'C1'))).toBe('twin');
    expect(commandNamed(argv('--help'))).toBeUndefined();
  });

  it('registers the named command alone, and every command for help or an unknown one', async () => {
    const all = names(await buildProgram());
    expect(all).toContain('start');
    expect(names(await buildProgram(argv('--help')))).toEqual(all);
    expect(names(await buildProgram(argv('nosuch')))).toEqual(all);
    // Each command, run by name, finds itself registered: the table misses none of the program's commands.
    for (const name of all) {
      const one = names(await buildProgram(argv(name, '--help')));
      expect(one, name).toContain(name);
      expect(one.length, name).toBeLessThan(all.length);
    }
  });

  it('keeps sandbox serve beside the sandbox commands', async () => {
    const program = await buildProgram(argv('sandbox', 'serve'));
    const sandbox = program.commands.find((c) => c.name() === 'sandbox');
    expect(sandbox?.commands.map((c) => c.name())).toContain('serve');
  });
});
