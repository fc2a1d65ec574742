import { describe, expect, it } from 'vitest';
import { ConfigError, ContextError, ERROR_CODES, ExitCode, InternalError, OneGateError, RuntimeProblem, UsageError } from '../../src/errors.ts';
import { ContextSyntaxError } from '../../src/context/context-syntax-error.ts';
import { ChecksumMismatchError, ImageDigestMismatchError, ImageNotFoundError, UnverifiableArtifactsError } from '../../src/install/errors.ts';
import { PlaceholderError } from '../../src/config/placeholders.ts';

describe('ERROR_CODES', () => {
  it('names every code ONEKE_… with an exit code of 1, 2 or 70', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^ONEKE_[A-Z0-9_]+$/);
      expect([ExitCode.failure, ExitCode.invalidInput, ExitCode.internal]).toContain(entry.exitCode);
    }
  });

  it('gives each error its exit code and default hint', () => {
    expect(new RuntimeProblem('ONEKE_KUBECONFIG_MALFORMED', 'x')).toMatchObject({ exitCode: ExitCode.failure, hint: ERROR_CODES.ONEKE_KUBECONFIG_MALFORMED.hint });
    expect(new RuntimeProblem('ONEKE_NO_ROLE', 'x', 'do this')).toMatchObject({ code: 'ONEKE_NO_ROLE', exitCode: ExitCode.failure, hint: 'do this' });
    expect(new RuntimeProblem('ONEKE_UNKNOWN_ROLE', 'x').hint).toBeUndefined();
  });

  // The exit codes and hints each class had before the table existed.
  it.each([
    [new ConfigError([{ variable: 'X', shown: '""', expected: 'y' }]), 'ONEKE_CONFIG_INVALID', ExitCode.invalidInput],
    [new ContextError('/f', 'bad'), 'ONEKE_CONTEXT_UNREADABLE', ExitCode.invalidInput],
    [new ContextSyntaxError(1, 'bad'), 'ONEKE_CONTEXT_SYNTAX', ExitCode.invalidInput],
    [new UsageError('bad'), 'ONEKE_USAGE', ExitCode.invalidInput],
    [new PlaceholderError('V', '<ETH9_IP0>', 'no NIC'), 'ONEKE_PLACEHOLDER_UNRESOLVED', ExitCode.invalidInput],
    [new UnverifiableArtifactsError('m', [], 'h'), 'ONEKE_ARTIFACT_UNPINNED', ExitCode.invalidInput],
    [new InternalError('bug'), 'ONEKE_INTERNAL', ExitCode.internal],
    [new OneGateError('GET', '/vm', 500, ''), 'ONEKE_ONEGATE', ExitCode.failure],
  ] as const)('%s has its code and exit code', (error, code, exitCode) => {
    expect(error).toMatchObject({ code, exitCode });
  });

  it('keeps the hints that the classes gave', () => {
    expect(new PlaceholderError('V', '<ETH9_IP0>', 'no NIC').hint).toMatch(/^use a placeholder for an address the VNF has/);
    expect(new ChecksumMismatchError('f', 'u', 'a', 'b').hint).toMatch(/^the mirror or the network served other bytes/);
    expect(new ImageNotFoundError('r', 'reg', 'd').hint).toMatch(/^push the image to the registry/);
    expect(new ImageDigestMismatchError('r', 'reg', 'a', 'b').hint).toMatch(/^the registry holds another image under this tag/);
    expect(new UnverifiableArtifactsError('m', [], 'own hint').hint).toBe('own hint');
    expect(new OneGateError('GET', '/vm', 401, '').hint).toMatch(/TOKENTXT/);
    expect(new OneGateError('GET', '/vm', 500, '').hint).toBeUndefined();
  });
});
