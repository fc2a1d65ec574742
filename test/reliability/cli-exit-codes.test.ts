// Reliability, issue 11 item 14: exit code 70 ("internal error") is unreachable from any input. A
// fuzz target over the CLI in this process: random contexts (validate, plan), random OneGate state
// files given to `plan --onegate-snapshot` (the emulator's answers), random status files (status),
// and filesystem faults (a folder, a missing file or /dev/null where a file should be; the faults of
// the host itself are in fs-errors.test.ts). Every run must exit 0, 1 or 2 and print no stack trace.
// Seeded and bounded: well under a minute.

import fc from 'fast-check';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { VARIABLES } from '../../src/config/index.ts';
import { buildServiceState } from '../../src/emulator/index.ts';
import { contextSh } from '../support/binary.ts';
import { tempRoot } from '../support/temp-root.ts';

const SEED = Number(process.env.ONEKE_FUZZ_SEED ?? 1114);
const RUNS = 60;

async function oneke(args: readonly string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(['node', 'oneke', '--log-level', 'silent', ...args], { out: () => undefined, err: (text) => void (stderr += text) });
  return { code, stderr };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function expectClean(run: { code: number; stderr: string }, what: string): void {
  expect([0, 1, 2], `${what}: exit ${run.code}\n${run.stderr.slice(0, 2000)}`).toContain(run.code);
  expect(run.stderr, what).not.toMatch(/^\s+at .+\(|internal error/m);
}

/** Names the agent knows (families with small and huge indices), some strangers, and the OneGate ones. */
const name = fc.oneof(
  fc.constantFrom(...VARIABLES.map((spec) => spec.name.replace(/<([a-z])>/g, '1').replace('*', ''))),
  fc.constantFrom(...VARIABLES.filter((spec) => spec.pattern).map((spec) => spec.name.replace(/<([a-z])>/g, '1000000000000000000000').replace('*', '9'))),
  fc.constantFrom('ONEGATE_ENDPOINT', 'VMID', 'TOKENTXT', 'SERVICE_ID', 'ONEAPP_X', 'ETH0_IP'),
);
const value = fc.oneof(
  fc.constantFrom('', 'YES', 'no', 'maybe', '0', '-1', '1e21', '65536', '10.0.0.1', '10.0.0.0/32', '0.0.0.0/0', '<ETH0_IP0>', '<ETH9_IP0>', '/etc', 'http://127.0.0.1:9', 'x@y', '\u001b[2J', 'é€'),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const context = fc.dictionary(name, value, { maxKeys: 10 });

describe('no input reaches exit code 70', () => {
  test('random contexts through validate', async () => {
    await fc.assert(
      fc.asyncProperty(context, async (vars) => {
        const dir = await tempRoot();
        await fs.writeFile(path.join(dir, 'context.sh'), contextSh(vars));
        expectClean(await oneke(['--root', dir, '--context', path.join(dir, 'context.sh'), 'validate']), JSON.stringify(vars));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test('random OneGate states and contexts through plan --onegate-snapshot', async () => {
    const base = buildServiceState({
      serviceId: 10,
      roles: [
        { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.100', network: 'public' }, { ip: '172.20.0.100' }] }] },
        { name: 'master', vms: [{ id: 1, ip: '172.20.0.101' }] },
        { name: 'worker', vms: [{ id: 2, ip: '172.20.0.102' }] },
      ],
    });
    const junk = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 12 }), fc.constant({}), fc.constant([]), fc.constant('\u001b]0;x\u0007'));
    // A path into the state and what to put there, or a whole state of junk.
    const mutation = fc.tuple(
      fc.constantFrom('service.SERVICE.roles', 'service.SERVICE.roles.0.nodes', 'service.SERVICE.roles.1.cardinality', 'vms.1', 'vms.1.VM.USER_TEMPLATE', 'vms.1.VM.TEMPLATE.NIC', 'service', 'vms'),
      junk,
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { maxLength: 3 }), fc.constantFrom(0, 1, 2, 7), context, async (mutations, vmId, vars) => {
        const state = structuredClone(base) as unknown as Record<string, unknown>;
        for (const [where, junkValue] of mutations) {
          const keys = where.split('.');
          let target: unknown = state;
          for (const key of keys.slice(0, -1)) target = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[key] : undefined;
          if (typeof target === 'object' && target !== null) (target as Record<string, unknown>)[keys.at(-1) as string] = junkValue;
        }
        const dir = await tempRoot();
        await fs.writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
        const token = (state.vms as Record<string, { token?: string }> | undefined)?.[String(vmId)]?.token ?? 'x';
        await fs.writeFile(path.join(dir, 'context.sh'), contextSh({ ONEGATE_ENDPOINT: 'http://onegate.invalid:5030', VMID: String(vmId), TOKENTXT: token, ...vars }));
        const args = ['--root', dir, '--context', path.join(dir, 'context.sh'), 'plan', '--onegate-snapshot', path.join(dir, 'state.json')];
        expectClean(await oneke(args), JSON.stringify({ mutations, vmId, vars }));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test('random status files through status', async () => {
    // Text that is not JSON, records of the right shape holding any text, and any JSON at all (of the
    // wrong shape it is a damaged record, set aside: test/reliability/damaged-status.test.ts).
    const anyText = fc.string({ unit: 'binary', maxLength: 24 });
    const step = fc.record({ state: anyText, startedAt: anyText, finishedAt: anyText, error: anyText });
    const shaped = fc.record({ version: anyText, role: anyText, steps: fc.record({ install: step, configure: step, bootstrap: step }, { requiredKeys: [] }) });
    const text = fc.oneof(
      fc.string({ maxLength: 40 }).filter((candidate) => !isJson(candidate)),
      shaped.map((record) => JSON.stringify(record)),
      fc.json({ maxDepth: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(text, fc.string({ maxLength: 20 }), async (record, word) => {
        const root = await tempRoot({ 'etc/one-appliance/oneke-status.json': record, 'etc/one-appliance/status': word });
        for (const extra of [[], ['--json']]) expectClean(await oneke(['--root', root, 'status', ...extra]), JSON.stringify({ record, word }));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test.each([
    ['a folder as the context', async (dir: string) => (await fs.mkdir(path.join(dir, 'ctx')), ['--context', path.join(dir, 'ctx'), 'validate'])],
    ['a missing context', async (dir: string) => ['--context', path.join(dir, 'missing.sh'), 'validate']],
    ['a folder as the status record', async (dir: string) => (await fs.mkdir(path.join(dir, 'etc/one-appliance/oneke-status.json'), { recursive: true }), ['status'])],
    ['an empty context', async () => ['--context', '/dev/null', 'validate']],
    [
      'a folder as the snapshot',
      async (dir: string) => (
        await fs.writeFile(path.join(dir, 'c.sh'), contextSh({ VMID: '1', TOKENTXT: 't', ONEGATE_ENDPOINT: 'http://x:1' })), ['--context', path.join(dir, 'c.sh'), 'plan', '--onegate-snapshot', dir]
      ),
    ],
  ] as const)('filesystem fault: %s', async (_what, setUp) => {
    const dir = await tempRoot();
    const args = await setUp(dir);
    expectClean(await oneke(['--root', dir, ...args]), _what);
  });
});
