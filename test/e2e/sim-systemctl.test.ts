// The simulated systemctl of the e2e VMs (test/e2e/sim): units run as detached processes with pid
// files, start/stop/reload/mask/is-active behave like systemctl's (exit codes and messages), the
// real HAProxy and keepalived run and reload in a namespace, and a start of rke2-server waits for the
// stand-in's readiness and fails when it exits first.

import { execa } from 'execa';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { eventually, isRoot, NEEDS_ROOT, type TestNet } from '../support/netns.ts';
import { useTestNet } from '../support/use-test-net.ts';
import { alive, mainPid, readCalls, simPaths, stopAllUnits, writeSystemctlWrapper } from './sim/units.ts';

async function vmRoot(): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-sim-'));
  onTestFinished(async () => {
    await stopAllUnits(root, { hard: true });
    await fs.rm(root, { recursive: true, force: true });
  });
  return root;
}

async function write(root: string, vmPath: string, content: string, mode = 0o644): Promise<string> {
  const file = path.join(root, vmPath);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content, { mode });
  return file;
}

/** Calls the VM's systemctl (its wrapper), in a namespace when given. */
function systemctlOf(root: string, net?: TestNet, ns?: string) {
  const wrapper = writeSystemctlWrapper({ root, node: process.execPath, oneke: path.join(root, 'bin/oneke'), context: path.join(root, 'context.sh') });
  return async (...args: string[]) => {
    const result = net && ns ? await net.run(ns, wrapper, args, { reject: false, timeoutMs: 60_000 }) : await execa(wrapper, args, { reject: false, stdin: 'ignore', timeout: 60_000 });
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
}

describe.skipIf(!isRoot())(`simulated systemctl (${isRoot() ? 'as root' : NEEDS_ROOT})`, () => {
  test('a trivial unit: start, is-active, reload, stop, mask, unmask, restart, calls.log, unknown units', async () => {
    const root = await vmRoot();
    const script = await write(root, 'opt/dummy.sh', `trap 'echo reloaded' HUP\ntrap 'echo stopping; exit 0' TERM\necho started\nwhile true; do sleep 0.1; done\n`, 0o755);
    await write(root, 'lib/systemd/system/dummy.service', `[Unit]\nDescription=test\n[Service]\nExecStart=/bin/sh ${script}\nExecReload=/bin/kill -HUP $MAINPID\n`);
    const systemctl = systemctlOf(root);
    const sim = simPaths(root);

    expect(await systemctl('is-active', 'dummy.service')).toMatchObject({ exitCode: 3, stdout: 'inactive' });
    expect((await systemctl('start', 'dummy.service')).exitCode).toBe(0);
    const pid = mainPid(root, 'dummy.service');
    expect(pid).toBeGreaterThan(0);
    expect(Number((await fs.readFile(sim.pid('dummy.service'), 'utf8')).trim())).toBe(pid);
    expect(await systemctl('is-active', 'dummy')).toMatchObject({ exitCode: 0, stdout: 'active' });
    // A start of a running unit changes nothing.
    expect((await systemctl('start', 'dummy.service')).exitCode).toBe(0);
    expect(mainPid(root, 'dummy.service')).toBe(pid);

    expect((await systemctl('reload', 'dummy.service')).exitCode).toBe(0);
    await eventually(async () => (await fs.readFile(sim.log('dummy.service'), 'utf8')).includes('reloaded'), 'the unit to get SIGHUP');

    expect((await systemctl('stop', 'dummy.service')).exitCode).toBe(0);
    expect(alive(pid as number)).toBe(false);
    expect(await fs.readFile(sim.log('dummy.service'), 'utf8')).toContain('stopping');
    expect((await systemctl('is-active', 'dummy.service')).exitCode).toBe(3);
    expect(await systemctl('reload', 'dummy.service')).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('not active') });

    expect((await systemctl('mask', 'dummy.service')).exitCode).toBe(0);
    expect(await fs.readlink(path.join(root, 'etc/systemd/system/dummy.service'))).toBe('/dev/null');
    expect(await systemctl('start', 'dummy.service')).toMatchObject({ exitCode: 1, stderr: 'Failed to start dummy.service: Unit dummy.service is masked.' });
    expect((await systemctl('unmask', 'dummy.service')).exitCode).toBe(0);
    await expect(fs.lstat(path.join(root, 'etc/systemd/system/dummy.service'))).rejects.toThrow();

    expect((await systemctl('restart', 'dummy.service')).exitCode).toBe(0);
    const second = mainPid(root, 'dummy.service');
    expect(second).toBeGreaterThan(0);
    expect((await systemctl('reload-or-restart', 'dummy.service')).exitCode).toBe(0);
    expect(mainPid(root, 'dummy.service')).toBe(second);
    expect((await systemctl('enable', 'dummy.service')).exitCode).toBe(0);
    expect((await systemctl('disable', 'dummy.service')).exitCode).toBe(0);

    expect(await systemctl('start', 'nope.service')).toMatchObject({ exitCode: 5, stderr: 'Failed to start nope.service: Unit nope.service not found.' });
    expect(await systemctl('frobnicate', 'dummy.service')).toMatchObject({ exitCode: 1 });

    expect(readCalls(root)).toEqual([
      'is-active dummy.service',
      'start dummy.service',
      'is-active dummy.service',
      'start dummy.service',
      'reload dummy.service',
      'stop dummy.service',
      'is-active dummy.service',
      'reload dummy.service',
      'mask dummy.service',
      'start dummy.service',
      'unmask dummy.service',
      'restart dummy.service',
      'reload-or-restart dummy.service',
      'enable dummy.service',
      'disable dummy.service',
      'start nope.service',
    ]);

    // A power-off: every process of the VM goes, and nothing says the unit is active any more.
    await stopAllUnits(root);
    expect(alive(second as number)).toBe(false);
    expect((await systemctl('is-active', 'dummy.service')).exitCode).toBe(3);
  });

  test('haproxy and keepalived in a namespace: start, reload (checked first), stop; unbound runs', async () => {
    const net = useTestNet();
    const ns = await net.namespace('vnf');
    // keepalived needs a real interface (not lo); a veth pair is enough.
    await net.pair(ns, 'eth0', 'peer0');
    await net.configure(ns, 'eth0', { addresses: ['10.77.0.2/24'] });
    const root = await vmRoot();
    const systemctl = systemctlOf(root, net, ns);
    const sim = simPaths(root);
    const listening = async (port: number) => (await net.run(ns, 'ss', ['-Hltn', `sport = :${port}`])).stdout.includes(`:${port}`);

    const haproxyCfg = (port: number) =>
      `global\n  log stdout format raw local0\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend f\n  bind 10.77.0.2:${port}\n  default_backend b\nbackend b\n  server s1 10.77.0.3:80 check\n`;
    await write(root, 'etc/haproxy/haproxy.cfg', haproxyCfg(18080));
    expect((await systemctl('start', 'haproxy.service')).exitCode).toBe(0);
    await eventually(() => listening(18080), 'HAProxy listening on 18080');
    const master = mainPid(root, 'haproxy.service') as number;
    expect(Number((await fs.readFile(path.join(sim.dir, 'haproxy.pid'), 'utf8')).trim())).toBe(master);

    await write(root, 'etc/haproxy/haproxy.cfg', haproxyCfg(18081));
    expect((await systemctl('reload-or-restart', 'haproxy.service')).exitCode).toBe(0);
    await eventually(async () => (await listening(18081)) && !(await listening(18080)), 'HAProxy reloaded onto 18081');
    expect(mainPid(root, 'haproxy.service')).toBe(master);

    // A broken configuration: the reload fails (haproxy -c first) and the running HAProxy stays.
    await write(root, 'etc/haproxy/haproxy.cfg', 'frontend broken\n  bind :notaport\n');
    const bad = await systemctl('reload', 'haproxy.service');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('failed');
    expect(mainPid(root, 'haproxy.service')).toBe(master);
    expect(await listening(18081)).toBe(true);

    expect((await systemctl('stop', 'haproxy.service')).exitCode).toBe(0);
    expect(await listening(18081)).toBe(false);
    expect((await net.run(ns, 'pgrep', ['-f', sim.dir], { reject: false })).stdout.trim()).toBe('');

    // keepalived: alone on its link, it takes the VIP after the BACKUP timeout; a stop gives it back.
    const keepalivedConf = (priority: number) =>
      `global_defs {\n  router_id sim-test\n}\nvrrp_instance V1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 61\n  priority ${priority}\n  advert_int 1\n  virtual_ipaddress {\n    10.77.0.100/24\n  }\n}\n`;
    // No configuration: ConditionFileNotEmpty skips the start without an error, as systemd does.
    expect((await systemctl('start', 'keepalived.service')).exitCode).toBe(0);
    expect((await systemctl('is-active', 'keepalived.service')).exitCode).toBe(3);
    await write(root, 'etc/keepalived/keepalived.conf', keepalivedConf(100), 0o600);
    expect((await systemctl('start', 'keepalived.service')).exitCode).toBe(0);
    const vip = async () => (await net.ipv4Addresses(ns, 'eth0')).includes('10.77.0.100');
    await eventually(vip, 'keepalived to take the VIP', 15_000, 200);
    const keepalived = mainPid(root, 'keepalived.service') as number;
    await write(root, 'etc/keepalived/keepalived.conf', keepalivedConf(150), 0o600);
    expect((await systemctl('reload', 'keepalived.service')).exitCode).toBe(0);
    await eventually(async () => (await fs.readFile(sim.log('keepalived.service'), 'utf8')).includes('Reloading'), 'keepalived to reload');
    expect(mainPid(root, 'keepalived.service')).toBe(keepalived);
    expect((await systemctl('stop', 'keepalived.service')).exitCode).toBe(0);
    expect(await vip()).toBe(false);

    // unbound in the namespace, on port 53.
    await write(root, 'etc/unbound/unbound.conf', 'server:\n    interface: 10.77.0.2\n    use-syslog: no\n    module-config: "iterator"\nremote-control:\n    control-enable: no\n');
    expect((await systemctl('start', 'unbound.service')).exitCode).toBe(0);
    await eventually(async () => (await net.run(ns, 'ss', ['-Hlun', 'sport = :53'])).stdout.includes('10.77.0.2:53'), 'unbound on port 53');
    expect((await systemctl('is-active', 'unbound.service')).exitCode).toBe(0);

    // oneke-vnf-sync.service runs `oneke --root --context vnf sync`, with this VM's systemctl.
    await write(root, 'bin/oneke', `#!/bin/sh\necho "args: $*"\necho "systemctl: $ONEKE_SYSTEMCTL"\nexec sleep 60\n`, 0o755);
    expect((await systemctl('restart', 'oneke-vnf-sync.service')).exitCode).toBe(0);
    await eventually(async () => (await fs.readFile(sim.log('oneke-vnf-sync.service'), 'utf8')).includes('systemctl:'), 'the sync unit to run');
    const syncLog = await fs.readFile(sim.log('oneke-vnf-sync.service'), 'utf8');
    expect(syncLog).toContain(`args: --root ${root} --context ${path.join(root, 'context.sh')} vnf sync`);
    expect(syncLog).toContain(`systemctl: ${sim.wrapper}`);

    await stopAllUnits(root);
    for (const unit of ['unbound.service', 'oneke-vnf-sync.service']) expect((await systemctl('is-active', unit)).exitCode).toBe(3);
  }, 60_000);

  test('rke2-server: start waits for the readiness, refuses to run beside rke2-agent, and reports a failing start', async () => {
    const net = useTestNet();
    const ns = await net.namespace('master');
    await net.pair(ns, 'eth0', 'peer0');
    await net.configure(ns, 'eth0', { addresses: ['10.78.0.2/24'] });
    const root = await vmRoot();
    const systemctl = systemctlOf(root, net, ns);
    await write(root, 'etc/rancher/rke2/config.yaml', 'node-name: sim-master\ntoken: sim-secret\ntls-san: [10.78.0.100]\n', 0o600);

    const started = Date.now();
    const start = await systemctl('start', 'rke2-server.service');
    expect(start.exitCode, start.stderr).toBe(0);
    console.log(`systemctl start rke2-server.service (initialise): ${Date.now() - started} ms`);
    // Type=notify: when start returns, RKE2's files are there.
    await expect(fs.readFile(path.join(root, 'var/lib/rancher/rke2/server/node-token'), 'utf8')).resolves.toMatch(/^K10[0-9a-f]{64}::server:sim-secret\n$/);
    await expect(fs.stat(path.join(root, 'run/rke2-standin/server.ready'))).resolves.toBeTruthy();
    expect((await systemctl('is-active', 'rke2-server.service')).exitCode).toBe(0);

    const agent = await systemctl('start', 'rke2-agent.service');
    expect(agent.exitCode).toBe(1);
    expect(agent.stderr).toContain('Error: rke2-server is running!');

    expect((await systemctl('stop', 'rke2-server.service')).exitCode).toBe(0);
    expect((await systemctl('is-active', 'rke2-server.service')).exitCode).toBe(3);
    expect((await net.run(ns, 'pgrep', ['-f', root], { reject: false })).stdout.trim()).toBe('');

    // A joiner whose server does not answer exits before it is ready: the start fails, nothing is left running.
    const joiner = await vmRoot();
    const joinerCtl = systemctlOf(joiner, net, ns);
    await write(joiner, 'etc/rancher/rke2/config.yaml', 'node-name: sim-joiner\nserver: https://10.78.0.9:9345\ntoken: sim-secret\n', 0o600);
    const failed = await joinerCtl('start', 'rke2-server.service');
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain('Job for rke2-server.service failed');
    expect(failed.stderr).toContain('failed to get CA certs');
    expect((await joinerCtl('is-active', 'rke2-server.service')).exitCode).toBe(3);
    expect((await execa('pgrep', ['-f', joiner], { reject: false })).stdout.trim()).toBe('');
  }, 60_000);
});
