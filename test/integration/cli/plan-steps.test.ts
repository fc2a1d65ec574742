import { execa } from 'execa';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildServiceState } from '../../../src/emulator/index.ts';
import { archOf, configFromEnvironment, PINNED_SHA256, planArtifacts } from '../../../src/install/index.ts';
import { BINARY, contextSh } from '../../support/binary.ts';
import { tempRoot } from '../../support/temp-root.ts';
import { masterBackend, workerBackend } from '../../support/vnf-context.ts';

type JsonPlan = { role: string; decision: { kind: string; reason: string }; actions: Record<string, unknown>[] };

/** Every file under `root` with its content: what "changes nothing" compares. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of (await fs.readdir(root, { recursive: true })).sort()) {
    const file = path.join(root, entry);
    out[entry] = (await fs.stat(file)).isFile() ? await fs.readFile(file, 'utf8') : '<dir>';
  }
  return out;
}

/** `oneke plan --step STEP` for VM `vmId` of a formed 1/1/1 service, from a snapshot file, with these files in the root. */
async function planOf(step: string | undefined, vmId: number, options: { files?: Record<string, string>; json?: boolean; ready?: boolean } = {}) {
  const dir = await tempRoot();
  const root = await tempRoot(options.files ?? {});
  const state = buildServiceState({
    serviceId: 10,
    roles: [
      { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.100', network: 'public' }, { ip: '172.20.0.100' }], userTemplate: { READY: 'YES' } }] },
      { name: 'master', vms: [{ id: 1, ip: '172.20.0.101', userTemplate: { READY: 'YES', ...masterBackend('172.20.0.101') } }] },
      { name: 'worker', vms: [{ id: 2, ip: '172.20.0.102', userTemplate: { ...workerBackend('172.20.0.102'), ONEKE_ERROR: 'an earlier failure' } }] },
    ],
  });
  await fs.writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  const vars = {
    ONEGATE_ENDPOINT: 'http://onegate.invalid:5030',
    VMID: String(vmId),
    TOKENTXT: state.vms[String(vmId)]?.token ?? '',
    SERVICE_ID: '10',
    ONEAPP_VROUTER_ETH0_VIP0: '192.168.150.86',
    ONEAPP_VROUTER_ETH1_VIP0: '172.20.0.86',
    ...(options.ready === false ? {} : { REPORT_READY: 'YES' }),
    ...(vmId === 0 ? { ETH0_IP: '192.168.150.100', ETH0_MASK: '255.255.255.0', ETH1_IP: '172.20.0.100', ETH1_MASK: '255.255.255.0', ONEAPP_VNF_KEEPALIVED_PASSWORD: 'vrrp-pw' } : {}),
  };
  await fs.writeFile(path.join(dir, 'context.sh'), contextSh(vars));
  const before = await snapshot(root);
  const args = [
    '--root',
    root,
    '--log-level',
    'error',
    '--context',
    path.join(dir, 'context.sh'),
    'plan',
    ...(step === undefined ? [] : ['--step', step]),
    '--onegate-snapshot',
    path.join(dir, 'state.json'),
  ];
  const result = await execa(BINARY, options.json === false ? args : [...args, '--json'], { reject: false });
  expect(result.exitCode, result.stderr).toBe(0);
  // plan changes nothing: the root is as it was.
  expect(await snapshot(root)).toEqual(before);
  return result.stdout;
}

const json = async (...args: Parameters<typeof planOf>) => JSON.parse(await planOf(...args)) as JsonPlan;

describe('oneke plan --step', () => {
  test('configure is the default: the same plan as without --step', async () => {
    for (const vmId of [0, 1, 2]) {
      const p = await planOf('configure', vmId);
      expect(p).toEqual(await planOf(undefined, vmId));
      expect(await planOf('configure', vmId, { json: false })).toEqual(await planOf(undefined, vmId, { json: false }));
    }
    expect((JSON.parse(await planOf('configure', 0)) as JsonPlan).role).toBe('vnf');
  });

  test('bootstrap before configure has succeeded: refused, nothing to do', async () => {
    const p = await json('bootstrap', 2);
    expect(p.decision.kind).toBe('refuse');
    expect(p.decision.reason).toContain('configure has not succeeded (status: none)');
    expect(p.actions).toEqual([]);
  });

  test('bootstrap after configure: clears the old error, reports success and READY=YES', async () => {
    const p = await json('bootstrap', 2, { files: { '/etc/one-appliance/status': 'configure_success\n' } });
    expect(p.decision.kind).toBe('report');
    expect(p.actions).toEqual([
      { kind: 'unpublish', keys: ['ONEKE_ERROR'] },
      { kind: 'publish', keys: { ONEKE_STATUS: 'success', READY: 'YES' } },
    ]);
    const quiet = await json('bootstrap', 1, { files: { '/etc/one-appliance/status': 'configure_success\n' }, ready: false });
    expect(quiet.actions).toEqual([{ kind: 'publish', keys: { ONEKE_STATUS: 'success' } }]);
  });

  test("vnf-sync: a check, the new haproxy.cfg with the service's backends, a reload; none when it matches", async () => {
    const p = await json('vnf-sync', 0, { files: { '/etc/haproxy/haproxy.cfg': '# an old configuration\n' } });
    expect(p.role).toBe('vnf');
    expect(p.decision.kind).toBe('sync');
    expect(p.actions.map((a) => `${a.kind} ${String(a.path ?? a.unit ?? (a.argv as string[] | undefined)?.join(' '))}`)).toEqual([
      'file /etc/haproxy/haproxy.cfg.candidate',
      'command haproxy -c -q -f /etc/haproxy/haproxy.cfg.candidate',
      'remove /etc/haproxy/haproxy.cfg.candidate',
      'file /etc/haproxy/haproxy.cfg',
      'service haproxy.service',
    ]);
    const cfg = String(p.actions[3]?.content);
    expect(cfg).toContain('172.20.0.101:9345');
    expect(cfg).toContain('172.20.0.102:32443');

    const again = await json('vnf-sync', 0, { files: { '/etc/haproxy/haproxy.cfg': cfg } });
    expect(again.decision.kind).toBe('unchanged');
    expect(again.actions).toEqual([]);

    const text = await planOf('vnf-sync', 0, { json: false });
    expect(text).toContain('systemctl reload-or-restart haproxy.service');
  });

  test('vnf-sync on a node is refused (exit 2)', async () => {
    const dir = await tempRoot();
    const state = buildServiceState({ serviceId: 10, roles: [{ name: 'worker', vms: [{ id: 2, ip: '172.20.0.102' }] }] });
    await fs.writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
    await fs.writeFile(path.join(dir, 'context.sh'), contextSh({ ONEGATE_ENDPOINT: 'http://onegate.invalid:5030', VMID: '2', TOKENTXT: state.vms['2']?.token ?? '' }));
    const result = await execa(BINARY, ['--root', await tempRoot(), '--context', path.join(dir, 'context.sh'), 'plan', '--step', 'vnf-sync', '--onegate-snapshot', path.join(dir, 'state.json')], {
      reject: false,
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('runs on VNF VMs');
  });

  test('install: every artifact with its URL and trusted SHA-256, the manifests; the root is unchanged', async () => {
    const dir = await tempRoot();
    const root = await tempRoot();
    const artifacts = planArtifacts(configFromEnvironment({}), archOf());
    const sums = path.join(dir, 'sha256sums.txt');
    // Helm's SHA-256 is pinned by oneke; the others come from the operator's list.
    const sha256 = artifacts.map((a, i) => PINNED_SHA256.find((pin) => pin.file === a.file)?.sha256 ?? String(i).repeat(64));
    await fs.writeFile(sums, artifacts.map((a, i) => (a.kind === 'helm' ? '' : `${sha256[i]}  ${a.file}\n`)).join(''));
    const before = await snapshot(root);
    const run = (...extra: string[]) =>
      execa(BINARY, ['--root', root, '--log-level', 'error', 'plan', '--step', 'install', ...extra], {
        reject: false,
        env: { ONEKE_ARTIFACT_SHA256SUMS: sums, ONEKE_ARTIFACT_MIRROR: 'http://mirror.invalid/oneke' },
      });
    const result = await run('--json');
    expect(result.exitCode, result.stderr).toBe(0);
    const p = JSON.parse(result.stdout) as JsonPlan;
    expect(p.decision.kind).toBe('install');
    const fetched = p.actions.filter((a) => a.kind === 'artifact');
    expect(fetched.map((a) => [a.file, a.sha256, a.url])).toEqual(artifacts.map((a, i) => [a.file, sha256[i], `http://mirror.invalid/oneke/${encodeURIComponent(a.file)}`]));
    expect(p.actions.filter((a) => a.kind === 'addon-manifest').map((a) => a.addon)).toEqual(['longhorn', 'metallb', 'traefik']);
    // Under another root: no apt-get, no daemon-reload.
    expect(p.actions.map((a) => a.kind)).not.toContain('install-packages');
    const text = await run();
    expect(text.exitCode, text.stderr).toBe(0);
    for (const [i, a] of artifacts.entries()) expect(text.stdout).toContain(`fetch ${a.file} (${a.label}) from http://mirror.invalid/oneke/${encodeURIComponent(a.file)}, sha256 ${sha256[i]}`);
    expect(await snapshot(root)).toEqual(before);
  });

  test('an unknown step is a usage error', async () => {
    const result = await execa(BINARY, ['--root', await tempRoot(), 'plan', '--step', 'deploy'], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--step="deploy": expected one of configure, bootstrap, vnf-sync, clean');
  });
});
