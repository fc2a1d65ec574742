// Reliability, issue 11 item 6: the cleaner deletes only nodes positively known to be gone. A OneGate
// answer that leaves out a whole Kubernetes role, has vm_info:null nodes, or lists fewer nodes than a
// role's cardinality while the role is changing deletes nothing, against the stand-in Kubernetes API
// (test/integration/cleaner/fake-kube-api.ts) and the OneGate emulator. Once the answer is complete
// again, a node that is really gone is deleted.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cleanCommand } from '../../src/cli/commands/clean.ts';
import { createRuntime } from '../../src/cli/runtime.ts';
import { buildServiceState, startEmulator, type BuildVmSpec, type EmulatorHandle, type EmulatorState } from '../../src/emulator/index.ts';
import { RKE2_ADMIN_CERT, RKE2_ADMIN_KEY, RKE2_SERVER_CA } from '../../src/roles/kubernetes/paths.ts';
import { startFakeKubeApi, type FakeKubeApi } from '../integration/cleaner/fake-kube-api.ts';
import { cleanerFixtures } from '../integration/cleaner/fixtures.ts';
import { K8S_CONTEXT } from '../support/cluster.ts';
import { tempRoot } from '../support/temp-root.ts';

const fixtures = cleanerFixtures();

const ip = (id: number): string => `172.20.0.${100 + id}`;
const nodeName = (id: number): string => `oneke-ip-172-20-0-${100 + id}`;
const joined = (id: number): BuildVmSpec => ({ id, ip: ip(id), userTemplate: { READY: 'YES', ONEGATE_K8S_NODE_NAME: nodeName(id) } });

const ROLES = {
  vnf: { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.100', network: 'public' }, { ip: '172.20.0.100' }], userTemplate: { READY: 'YES' } }] },
  master: { name: 'master', vms: [joined(1)] },
  worker: { name: 'worker', vms: [joined(2), joined(3)] },
  storage: { name: 'storage', vms: [joined(4)] },
};

async function emulator(state: EmulatorState): Promise<EmulatorHandle> {
  const emu = await startEmulator({ state });
  fixtures.cleanups.push(() => emu.close());
  return emu;
}

/** Every node of the service in the API, none of them Ready: only OneGate's answer protects them. */
async function kubeApi(): Promise<FakeKubeApi> {
  const api = await startFakeKubeApi({ pki: fixtures.pki, nodes: [1, 2, 3, 4].map(nodeName) });
  fixtures.cleanups.push(() => api.close());
  for (const id of [2, 3, 4]) api.setReady(nodeName(id), false);
  return api;
}

async function clean(emu: EmulatorHandle, api: FakeKubeApi): Promise<string> {
  const root = await tempRoot({ [RKE2_SERVER_CA]: fixtures.pki.serverCa, [RKE2_ADMIN_CERT]: fixtures.pki.admin.cert, [RKE2_ADMIN_KEY]: fixtures.pki.admin.key });
  const vars = { ...K8S_CONTEXT, ONEGATE_ENDPOINT: emu.url, VMID: '1', TOKENTXT: emu.tokenOf(1) ?? '' };
  const context = join(root, 'context.sh');
  await writeFile(
    context,
    `${Object.entries(vars)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n')}\n`,
  );
  let stdout = '';
  const code = await cleanCommand(createRuntime({ root, context, logLevel: 'silent' }), { out: (t) => void (stdout += t), err: (t) => void (stdout += t) }, { apiUrl: api.url });
  expect(code).toBe(0);
  return stdout;
}

describe('the cleaner with an incomplete OneGate answer', () => {
  test.each(['worker', 'storage'] as const)('the %s role left out: nothing deleted', async (left) => {
    const roles = Object.values(ROLES).filter((role) => role.name !== left);
    const api = await kubeApi();
    const stdout = await clean(await emulator(buildServiceState({ serviceId: 10, roles })), api);
    expect(stdout).toMatch(new RegExp(`^nothing deleted: .*no role ${left}`));
    expect(api.stats.deleted).toEqual([]);
  });

  test('a node with vm_info null: nothing deleted', async () => {
    const emu = await emulator(buildServiceState({ serviceId: 10, roles: Object.values(ROLES) }));
    const api = await kubeApi();
    emu.removeVm(3);
    emu.nodeVmInfoNull(2);
    expect(await clean(emu, api)).toMatch(/^nothing deleted: .*no vm_info/);
    expect(api.stats.deleted).toEqual([]);
  });

  test.each([
    [1, 'DEPLOYING', false],
    [8, 'SCALING', false],
    [10, 'COOLDOWN', false],
    [2, 'RUNNING', true],
  ] as const)('workers listing 1 of 2 VMs in role state %i (%s): deletes %s', async (roleState, _name, deletes) => {
    const state = buildServiceState({ serviceId: 10, roles: [ROLES.vnf, ROLES.master, { ...ROLES.worker, vms: [joined(2)], state: roleState }, ROLES.storage] });
    const worker = state.service.SERVICE.roles.find((role) => role.name === 'worker');
    if (worker !== undefined) worker.cardinality = 2;
    const api = await kubeApi();
    const stdout = await clean(await emulator(state), api);
    if (deletes) {
      expect(stdout).toBe(`deleted node ${nodeName(3)}\n`);
      expect(api.stats.deleted).toEqual([nodeName(3)]);
    } else {
      expect(stdout).toMatch(/^nothing deleted: role worker lists 1 of its 2 VMs/);
      expect(api.stats.deleted).toEqual([]);
    }
  });
});
