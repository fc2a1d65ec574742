// A read-only OneGate "client" that answers from an emulator state file instead of a server, for
// `oneke plan --onegate-snapshot FILE`: the same answers the emulator would give VM `vmId`, parsed
// the same way, with no network.

import { ConfigError, OneGateError } from '../errors.ts';
import { loadEmulatorState } from './state.ts';
import { createEmulatorStore } from './store.ts';
import type { OneGateClient } from '../onegate/client.ts';
import { parseServiceAnswer, parseVmAnswer } from '../onegate/parse.ts';

export type SnapshotClient = Pick<OneGateClient, 'vmId' | 'vmShow' | 'vmShowById' | 'serviceShow' | 'serviceShowExtended'>;

export async function snapshotClient(stateFile: string, vmId: number | undefined): Promise<SnapshotClient> {
  const store = createEmulatorStore(await loadEmulatorState(stateFile));
  if (vmId === undefined || store.tokenOf(vmId) === undefined) {
    throw new ConfigError([{ variable: 'VMID', shown: vmId === undefined ? '(missing)' : String(vmId), expected: `a VM listed in ${stateFile}` }]);
  }
  const self = vmId;
  const answer = <T>(path: string, result: { status: number; body: string }, parse: (raw: unknown) => T): T => {
    if (result.status !== 200) throw new OneGateError('GET', path, result.status, result.body);
    return parse(JSON.parse(result.body) as unknown);
  };
  return {
    vmId: self,
    vmShow: async () => answer('/vm', store.getVm(self, self), parseVmAnswer),
    vmShowById: async (id) => answer(`/vms/${id}`, store.getVm(self, Number(id)), parseVmAnswer),
    serviceShow: async () => answer('/service', store.getService(self, false), parseServiceAnswer),
    serviceShowExtended: async () => answer('/service?extended=true', store.getService(self, true), parseServiceAnswer),
  };
}
