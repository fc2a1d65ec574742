import { describe, expect, test, onTestFinished } from 'vitest';
import { buildServiceState, startEmulator } from '../../../src/emulator/index.ts';
import { NodeHost } from '../../../src/host/node-host.ts';
import { createLogger, SecretSet } from '../../../src/log/logger.ts';
import { createOneGateClient } from '../../../src/onegate/client.ts';
import { HAPROXY_CFG } from '../../../src/roles/vnf/plan.ts';
import { syncOnce, type SyncResult } from '../../../src/steps/vnf-sync.ts';
import { configFrom } from '../../support/cluster.ts';
import { tempRoot } from '../../support/temp-root.ts';
import { masterBackend, VNF_CONTEXT, workerBackend } from '../../support/vnf-context.ts';

/** A real host under a temp root whose systemctl calls are recorded instead of run. */
class RecordingHost extends NodeHost {
  readonly units: string[] = [];
  override async systemctl(operation: string, unit: string): Promise<void> {
    this.units.push(`${operation} ${unit}`);
  }
}

describe('oneke vnf sync', () => {
  test('backends follow the service with one OneGate request per poll and one reload per change', async () => {
    const emulator = await startEmulator({
      state: buildServiceState({
        serviceId: 10,
        roles: [
          { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.100', network: 'public' }, { ip: '172.20.0.100' }] }] },
          { name: 'master', vms: [{ id: 1, ip: '172.20.0.101', userTemplate: { READY: 'YES', ...masterBackend('172.20.0.101') } }] },
          {
            name: 'worker',
            vms: [
              { id: 2, ip: '172.20.0.102', userTemplate: workerBackend('172.20.0.102') },
              { id: 3, ip: '172.20.0.103', userTemplate: workerBackend('172.20.0.103') },
            ],
          },
        ],
      }),
    });
    onTestFinished(() => emulator.close());
    const config = configFrom({ ...VNF_CONTEXT, ONEGATE_ENDPOINT: emulator.url, TOKENTXT: emulator.tokenOf(0) ?? '' });
    const host = new RecordingHost(await tempRoot());
    const logger = createLogger({ level: 'silent', secrets: new SecretSet() });
    const client = createOneGateClient({ endpoint: emulator.url, vmId: 0, token: emulator.tokenOf(0) ?? '' });
    const deps = { host, logger, config, client };
    const serversOf = async (port: number) =>
      ((await host.readFile(HAPROXY_CFG)) ?? '')
        .split('\n')
        .filter((l) => l.trim().startsWith('server ') && l.includes(`:${port} `))
        .map((l) => l.trim().split(/\s+/)[2]);

    const poll = async (): Promise<SyncResult> => {
      const before = emulator.stats().total;
      const result = await syncOnce(deps);
      expect(emulator.stats().total - before).toBe(1); // exactly one OneGate request per poll
      return result;
    };

    expect(await poll()).toBe('changed');
    expect(await serversOf(32443)).toEqual(['172.20.0.102:32443', '172.20.0.103:32443']);
    expect(await serversOf(9345)).toEqual(['172.20.0.101:9345']);
    expect(await poll()).toBe('unchanged');

    emulator.addVm('worker', { id: 4, ip: '172.20.0.104', userTemplate: workerBackend('172.20.0.104') });
    expect(await poll()).toBe('changed');
    expect(await serversOf(32080)).toEqual(['172.20.0.102:32080', '172.20.0.103:32080', '172.20.0.104:32080']);
    expect(await poll()).toBe('unchanged');

    emulator.removeVm(2);
    expect(await poll()).toBe('changed');
    expect(await serversOf(32443)).toEqual(['172.20.0.103:32443', '172.20.0.104:32443']);
    expect(await poll()).toBe('unchanged');

    expect(host.units).toEqual(Array(3).fill('reload-or-restart haproxy.service'));
    expect(emulator.stats().requests['GET /service?extended']).toBe(emulator.stats().total);
  });

  test('OneGate failing or answering garbage keeps the last good configuration', async () => {
    const emulator = await startEmulator({
      state: buildServiceState({
        serviceId: 10,
        roles: [
          { name: 'vnf', vms: [{ id: 0, ip: '172.20.0.100' }] },
          { name: 'master', vms: [{ id: 1, ip: '172.20.0.101', userTemplate: masterBackend('172.20.0.101') }] },
        ],
      }),
    });
    onTestFinished(() => emulator.close());
    const config = configFrom({ ...VNF_CONTEXT, ONEGATE_ENDPOINT: emulator.url, TOKENTXT: emulator.tokenOf(0) ?? '' });
    const host = new RecordingHost(await tempRoot());
    const logger = createLogger({ level: 'silent', secrets: new SecretSet() });
    const client = createOneGateClient({ endpoint: emulator.url, vmId: 0, token: emulator.tokenOf(0) ?? '', retry: { attempts: 2, initialMs: 5, maxMs: 10 } });
    const deps = { host, logger, config, client };
    expect(await syncOnce(deps)).toBe('changed');
    const good = await host.readFile(HAPROXY_CFG);

    for (const faults of [{ error5xx: 1 }, { malformed: 1 }, { drop: 1 }]) {
      emulator.setFaults({ seed: 1, ...faults });
      expect(await syncOnce(deps)).toBe('onegate-failed');
      expect(await host.readFile(HAPROXY_CFG)).toBe(good);
    }
    emulator.setFaults({});
    // A published value that is garbage is skipped, not loaded.
    emulator.setUserTemplate(1, 'ONEGATE_HAPROXY_LB1_SERVER_PORT', 'not-a-port');
    expect(await syncOnce(deps)).toBe('changed');
    expect(await host.readFile(HAPROXY_CFG)).not.toContain('not-a-port');
    expect(host.units).toHaveLength(2);
  });
});
