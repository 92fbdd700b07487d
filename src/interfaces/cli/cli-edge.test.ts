import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, TwinloopError } from '../../domain/errors.js';
import { cliErrorOf, EXIT_CODE, inCliWords } from './cli-edge.js';

describe('the CLI error edge', () => {
  it('gives every error code its own non-zero exit code, so a script can tell them apart', () => {
    const codes = ERROR_CODES.map((c) => EXIT_CODE[c]);
    expect(new Set(codes).size).toBe(ERROR_CODES.length);
    expect(codes.every((c) => Number.isInteger(c) && c > 0 && c < 126)).toBe(true);
    expect(EXIT_CODE.BAD_INPUT).toBe(2);
  });

  it('keeps coded errors, makes anything else INTERNAL and usage errors BAD_INPUT', () => {
    const coded = new TwinloopError('NOT_FOUND', 'twin "x" not found');
    expect(cliErrorOf(coded)).toBe(coded);
    expect(cliErrorOf(new RangeError('boom'))).toMatchObject({ code: 'INTERNAL', message: 'boom' });
    expect(cliErrorOf(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"))).toMatchObject({ code: 'BAD_INPUT', context: { printed: true } });
  });

  it('treats help and version displays as success', () => {
    expect(cliErrorOf(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBeNull();
    expect(cliErrorOf(new CommanderError(0, 'commander.version', '0.1.0'))).toBeNull();
  });

  it('points a CLI user to the command that lists what an error says is missing, not to its route', () => {
    expect(inCliWords('no suspected incident "anomaly-99999"; GET /service-operations/anomalies lists them')).toBe('no suspected incident "anomaly-99999"; twinloop service-ops anomalies lists them');
    // A route no command shows stays as it is.
    expect(inCliWords('no approval a1; GET /approvals lists the pending ones')).toBe('no approval a1; GET /approvals lists the pending ones');
  });
});
