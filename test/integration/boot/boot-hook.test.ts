import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildServiceState } from '../../../src/emulator/index.ts';
import { BINARY, contextSh, REPO } from '../../support/binary.ts';
import { isRoot, NEEDS_ROOT } from '../../support/netns.ts';
import { useTestNet } from '../../support/use-test-net.ts';
import { onegateInNamespace, recordingSystemctl, vmSeenFrom } from '../../support/onegate-in-netns.ts';
import { tempRoot } from '../../support/temp-root.ts';
import { masterBackend, VNF_CONTEXT } from '../../support/vnf-context.ts';

const HOOK = path.join(REPO, 'appliance/one-context.d/net-90-oneke');

/** Every file under `dir`, recursively, with its mode. */
async function tree(dir: string, base = dir): Promise<{ file: string; mode: number }[]> {
  const out: { file: string; mode: number }[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await tree(full, base)));
    else if (entry.isFile()) out.push({ file: `/${path.relative(base, full)}`, mode: (await fs.stat(full)).mode & 0o777 });
  }
  return out;
}

describe.skipIf(!isRoot())(`the boot hook on a VNF VM (${isRoot() ? 'root' : NEEDS_ROOT})`, () => {
  test('configure then bootstrap to success and READY=YES; a bad context to failure with ONEKE_ERROR', async () => {
    const net = useTestNet();
    const ns = await net.namespace('vnf');
    await net.pair(ns, 'eth0', 'eth1');
    await net.configure(ns, 'eth0', { mac: VNF_CONTEXT.ETH0_MAC as string, addresses: ['192.168.150.100/24'] });
    await net.configure(ns, 'eth1', { mac: VNF_CONTEXT.ETH1_MAC as string, addresses: ['172.20.0.100/24'] });
    const dir = await tempRoot();
    const root = path.join(dir, 'vm');
    const state = buildServiceState({
      serviceId: 10,
      roles: [
        { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.100', network: 'public' }, { ip: '172.20.0.100' }] }] },
        { name: 'master', vms: [{ id: 1, ip: '172.20.0.101', userTemplate: { READY: 'YES', ...masterBackend('172.20.0.101') } }] },
      ],
    });
    const token = state.vms['0']?.token ?? '';
    const onegate = await onegateInNamespace(net, ns, state, dir);
    const systemctl = await recordingSystemctl(dir);
    const context = path.join(dir, 'context.sh');
    const hook = async (vars: Record<string, string>) => {
      await fs.writeFile(context, contextSh({ ...VNF_CONTEXT, ONEGATE_ENDPOINT: onegate.url, TOKENTXT: token, REPORT_READY: 'YES', ...vars }));
      return net.run(
        ns,
        'env',
        [
          `ONEKE_BIN=${BINARY}`,
          `ONEKE_ARGS=--root ${root} --context ${context}`,
          `ONEKE_SYSTEMCTL=${systemctl.path}`,
          `ONEKE_HOOK_LOG=${root}/var/log/one-appliance/one-context-hook.log`,
          'bash',
          HOOK,
          'network',
        ],
        { reject: false, timeoutMs: 60_000 },
      );
    };

    const boot = await hook({});
    expect(boot.exitCode, boot.stderr).toBe(0);
    expect(await fs.readFile(path.join(root, 'etc/one-appliance/status'), 'utf8')).toBe('bootstrap_success\n');
    const record = JSON.parse(await fs.readFile(path.join(root, 'etc/one-appliance/oneke-status.json'), 'utf8')) as {
      role: string;
      steps: Record<string, { state: string; startedAt: string; finishedAt: string }>;
    };
    expect(record.role).toBe('vnf');
    expect(record.steps.configure?.state).toBe('success');
    expect(record.steps.bootstrap?.state).toBe('success');
    expect((record.steps.configure?.finishedAt ?? 'z') <= (record.steps.bootstrap?.startedAt ?? '')).toBe(true);
    expect(await vmSeenFrom(net, ns, onegate.url, 0, token)).toMatchObject({ READY: 'YES', ONEKE_STATUS: 'success' });
    expect(await systemctl.calls()).toEqual(['reload-or-restart keepalived.service', 'reload-or-restart haproxy.service', 'restart oneke-vnf-sync.service', 'restart unbound.service']);
    // Really applied inside the VM's namespace: forwarding, our nftables table, the masquerade.
    expect((await net.run(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
    expect((await net.run(ns, 'nft', ['list', 'table', 'ip', 'oneke'])).stdout).toMatch(/oifname "eth0" masquerade/);
    // Secrets: in no log, and the keepalived file that needs the password is 0600.
    const files = await tree(root);
    for (const { file } of files.filter((f) => f.file.startsWith('/var/log/'))) {
      const text = await fs.readFile(path.join(root, file), 'utf8');
      expect(text, file).not.toContain(token);
      expect(text, file).not.toContain(VNF_CONTEXT.ONEAPP_VNF_KEEPALIVED_PASSWORD);
    }
    expect(files.find((f) => f.file === '/etc/keepalived/keepalived.conf')?.mode).toBe(0o600);

    // A second boot with a broken context: configure fails, bootstrap is skipped, the reason is published.
    const broken = await hook({ ONEAPP_VNF_HAPROXY_LB1_PORT: '99999' });
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toContain('oneke configure failed with exit code 2');
    expect(await fs.readFile(path.join(root, 'etc/one-appliance/status'), 'utf8')).toBe('configure_failure\n');
    const after = await vmSeenFrom(net, ns, onegate.url, 0, token);
    expect(after.ONEKE_STATUS).toBe('failure');
    expect(after.ONEKE_ERROR).toContain('ONEAPP_VNF_HAPROXY_LB1_PORT');
    expect(await fs.readFile(path.join(root, 'var/log/one-appliance/one-context-hook.log'), 'utf8')).toContain('bootstrap skipped');
  }, 120_000);
});
