// Reliability, issue 11 item 4: a --root other than / must not change the machine. Host-level
// actions (sysctl, nft, ip, mount, systemctl) run only in a network namespace of its own or with
// the explicit override; otherwise the plan is refused (exit 2) before its first action.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { SERVICE_ID, serviceState, vnfContext } from '../../bench/lib/service-state.ts';
import { defaultToken, startEmulator } from '../../src/emulator/index.ts';
import { applyPlan } from '../../src/executor/apply.ts';
import { ExitCode, UsageError } from '../../src/errors.ts';
import { changesHost, hostChangePolicy, readNamespaces, type NamespaceFacts } from '../../src/host/host-changes.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import { createLogger, SecretSet } from '../../src/log/logger.ts';
import type { Plan } from '../../src/plan/plan.ts';
import { BINARY, contextSh } from '../support/binary.ts';
import { isRoot } from '../support/netns.ts';
import { recordingSystemctl } from '../support/onegate-in-netns.ts';
import { tempRoot } from '../support/temp-root.ts';

const SAME: NamespaceFacts = { self: 'net:[4026531840]', init: 'net:[4026531840]' };
const OWN: NamespaceFacts = { self: 'net:[4026532999]', init: 'net:[4026531840]' };
const UNKNOWN: NamespaceFacts = { self: 'net:[4026531840]', init: undefined };
/** init unreadable (no ptrace rights over PID 1), but this is a namespace `ip netns` named. */
const NAMED: NamespaceFacts = { self: 'net:[4026532999]', init: undefined, named: ['net:[4026532111]', 'net:[4026532999]'] };
const logger = createLogger({ level: 'silent', secrets: new SecretSet() });

describe('the --root rule', () => {
  test.each([
    ['/', false, SAME, true],
    ['/tmp/vm', false, SAME, false],
    ['/tmp/vm', false, UNKNOWN, false],
    ['/tmp/vm', false, OWN, true],
    ['/tmp/vm', false, NAMED, true],
    ['/tmp/vm', false, { ...UNKNOWN, named: ['net:[4026532111]'] }, false],
    ['/tmp/vm', true, SAME, true],
  ] as const)('root %s, override %s, namespaces %j: allowed %s', (root, override, facts, allowed) => {
    const policy = hostChangePolicy(root, override, () => facts);
    expect(policy.allowed).toBe(allowed);
    if (!policy.allowed) expect(policy.reason).toContain('--allow-host-changes');
  });

  test.skipIf(!isRoot())('read from the machine: the own namespace is refused, an `ip netns exec` one allowed', async () => {
    expect(hostChangePolicy('/tmp/vm', false, readNamespaces).allowed).toBe(false);
    const name = `okt-rule-${process.pid}`;
    await execa('ip', ['netns', 'add', name]);
    onTestFinished(() => execa('ip', ['netns', 'del', name], { reject: false }).then(() => undefined));
    const probe = `import { hostChangePolicy, readNamespaces } from ${JSON.stringify(path.resolve('src/host/host-changes.ts'))};
      process.stdout.write(String(hostChangePolicy('/tmp/vm', false, readNamespaces).allowed));`;
    const inside = await execa('ip', ['netns', 'exec', name, process.execPath, '--input-type=module', '-e', probe], { reject: false });
    expect([inside.exitCode, inside.stdout]).toEqual([0, 'true']);
  });

  test('which commands change the machine', () => {
    expect(changesHost('ip', ['route', 'replace', 'default', 'via', '10.0.0.1'])).toBe(true);
    expect(changesHost('ip', ['-j', 'route', 'show', 'default'])).toBe(false);
    expect(changesHost('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'])).toBe(true);
    expect(changesHost('/usr/sbin/nft', ['-f', '/etc/nftables.conf'])).toBe(true);
    expect(changesHost('mkfs.ext4', ['/dev/vdb'])).toBe(true);
    expect(changesHost('haproxy', ['-c', '-q', '-f', '/etc/haproxy/haproxy.cfg'])).toBe(false);
    expect(changesHost('findmnt', ['--mountpoint', '/x'])).toBe(false);
  });

  test('a refused plan fails with exit 2 before its first action, files included', async () => {
    const root = await tempRoot();
    const host = new NodeHost(root, { hostChanges: () => hostChangePolicy(root, false, () => SAME) });
    const plan: Plan = {
      actions: [
        { kind: 'file', path: '/etc/sysctl.d/90-oneke.conf', mode: 0o644, content: 'net.ipv4.ip_forward = 1\n' },
        { kind: 'command', argv: ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'], why: 'now' },
        { kind: 'service', unit: 'keepalived.service', operation: 'restart' },
      ],
    } as Plan;
    const error = await applyPlan(plan, { host, logger }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(ExitCode.invalidInput);
    expect((error as UsageError).message).toContain('sysctl');
    expect(await fs.readdir(root)).toEqual([]);
    // The host refuses on its own too, whoever calls it.
    await expect(host.systemctl('restart', 'haproxy.service')).rejects.toBeInstanceOf(UsageError);
    await expect(host.exec('ip', ['route', 'replace', 'default', 'via', '192.0.2.1'])).rejects.toBeInstanceOf(UsageError);
    expect((await host.exec('ip', ['-j', 'route', 'show', 'default'])).exitCode).toBe(0);
  });

  test('in a network namespace of its own the same plan is allowed', async () => {
    const root = await tempRoot();
    const calls: string[] = [];
    class Recording extends NodeHost {
      override async systemctl(operation: string, unit: string): Promise<void> {
        this.assertMayChangeHost(`${operation} ${unit}`);
        calls.push(`${operation} ${unit}`);
      }
    }
    const host = new Recording(root, { hostChanges: () => hostChangePolicy(root, false, () => OWN) });
    await applyPlan({ actions: [{ kind: 'service', unit: 'keepalived.service', operation: 'restart' }] } as Plan, { host, logger });
    expect(calls).toEqual(['restart keepalived.service']);
  });

  test("dist/oneke vnf sync under a root, in the machine's own namespace: exit 2 unless overridden", async () => {
    const { state, vms } = serviceState({ vnf: 1, master: 1, worker: 1, storage: 0 }, { formed: true });
    const emulator = await startEmulator({ state });
    onTestFinished(() => emulator.close());
    const vnf = vms.find((vm) => vm.role === 'vnf');
    if (!vnf) throw new Error('no VNF in the service');
    const dir = await tempRoot();
    const context = path.join(dir, 'context.sh');
    await fs.writeFile(context, contextSh(vnfContext(vnf, emulator.url, defaultToken(SERVICE_ID, vnf.id))));
    const systemctl = await recordingSystemctl(dir);
    const run = async (env: Record<string, string>) => {
      const root = await tempRoot(); // each run converges a fresh VM
      return execa(BINARY, ['--root', root, '--context', context, 'vnf', 'sync', '--once'], {
        reject: false,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ONEKE_SYSTEMCTL: systemctl.path, ...env },
        extendEnv: false,
        stdin: 'ignore',
      });
    };
    const refused = await run({});
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--allow-host-changes');
    expect(refused.stderr).not.toMatch(/^\s+at /m);
    expect(await systemctl.calls()).toEqual([]);
    const allowed = await run({ ONEKE_ALLOW_HOST_CHANGES: '1' });
    expect([allowed.exitCode, allowed.stderr]).toEqual([0, expect.any(String)]);
    expect((await systemctl.calls()).length).toBeGreaterThan(0);
  });
});
