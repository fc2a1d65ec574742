import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import type { Runtime } from '../../../src/cli/runtime.ts';
import { configureCommand } from '../../../src/cli/commands/lifecycle.ts';
import { buildServiceState, macFromIp, startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import type { ExecOptions, ExecResult } from '../../../src/host/host.ts';
import { createLogger, SecretSet } from '../../../src/log/logger.ts';
import { contextSh } from '../../support/binary.ts';
import { eventually } from '../../support/netns.ts';
import { SimHost, StandInCluster } from '../../support/sim-host.ts';
import { tempRoot } from '../../support/temp-root.ts';

// The order of a node's first steps, in process: its route and nameserver come before its first
// OneGate request, and are put back while it waits. (test/integration/boot/node-behind-vnf.test.ts
// has a worker in network namespaces, where OneGate answers only through the gateway.)

/** A SimHost that notes, for each `ip` command, how many requests OneGate had seen by then. */
class OrderedHost extends SimHost {
  readonly routeSeen: { command: string; oneGateRequests: number }[] = [];
  emulator: EmulatorHandle | undefined;

  override async exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    if (file === 'ip' && args.includes('replace')) this.routeSeen.push({ command: args.join(' '), oneGateRequests: this.emulator?.stats().total ?? -1 });
    return super.exec(file, args, options);
  }
}

describe('a worker of the official template, before and while it waits', () => {
  test('route and nameserver are set before the first OneGate request, put back while waiting, and the worker joins', async () => {
    const workerIp = '10.1.0.20';
    const emulator = await startEmulator({
      state: buildServiceState({
        serviceId: 7,
        roles: [
          { name: 'vnf', vms: [{ id: 0, ip: '10.1.0.1', userTemplate: { READY: 'YES' } }] },
          { name: 'master', vms: [{ id: 1, ip: '10.1.0.10' }] },
          { name: 'worker', vms: [{ id: 2, ip: workerIp }] },
        ],
      }),
    });
    onTestFinished(() => emulator.close());
    const root = await tempRoot();
    const cluster = new StandInCluster(50);
    const host = new OrderedHost(root, 2, workerIp, macFromIp(workerIp), cluster);
    host.emulator = emulator;
    const contextFile = path.join(root, 'context.sh');
    await fs.writeFile(
      contextFile,
      contextSh({
        ONEGATE_ENDPOINT: emulator.url,
        VMID: '2',
        TOKENTXT: emulator.tokenOf(2) ?? '',
        SERVICE_ID: '7',
        ETH0_IP: workerIp,
        ETH0_MASK: '255.255.255.0',
        ETH0_MAC: macFromIp(workerIp),
        FALLBACK_GW: '10.1.0.1',
        FALLBACK_DNS: '10.1.0.1',
        ONEAPP_RKE2_SUPERVISOR_EP: 'ep0.eth0.vr:9345',
        ONEAPP_K8S_CONTROL_PLANE_EP: 'ep0.eth0.vr:6443',
        ONEAPP_VNF_DNS_ENABLED: 'YES',
      }),
    );
    const secrets = new SecretSet();
    const logger = createLogger({ level: 'silent', secrets });
    const runtime: Runtime = {
      options: { root, context: contextFile, logLevel: 'silent' },
      host,
      secrets,
      stepLogger: () => logger,
      consoleLogger: () => logger,
    };

    const run = configureCommand(runtime);
    // First: the route, before OneGate heard anything; the nameserver is the VNF's private IP.
    await eventually(() => host.routeSeen.length > 0, 'the first route command');
    expect(host.routeSeen[0]).toEqual({ command: 'route replace default via 10.1.0.1 dev eth0', oneGateRequests: 0 });
    expect(await host.readFile('/etc/resolv.conf')).toBe('nameserver 10.1.0.1\n');

    // While it waits for a master, something rewrites resolv.conf: the next round puts it back.
    await eventually(() => emulator.stats().requests['GET /service?extended'] >= 2, 'the worker to poll twice');
    await host.writeFile('/etc/resolv.conf', 'nameserver 192.0.2.53\n', 0o644);
    const routesBefore = host.routeSeen.length;
    await eventually(async () => (await host.readFile('/etc/resolv.conf')) === 'nameserver 10.1.0.1\n', 'resolv.conf put back');
    expect(host.routeSeen.length).toBeGreaterThan(routesBefore);

    // The master becomes usable; the worker joins through the supervisor's name.
    cluster.running.set('10.1.0.10', 'server');
    for (const [key, value] of Object.entries({ ONEGATE_K8S_MASTER: '10.1.0.10', ONEGATE_K8S_TOKEN: 'K10peer::server:x', READY: 'YES' })) emulator.setUserTemplate(1, key, value);
    await run;
    expect(await host.readFile('/etc/rancher/rke2/config.yaml')).toContain('server: https://ep0.eth0.vr:9345\n');
    expect(host.units).toContain('start rke2-agent.service');
  }, 60_000);
});
