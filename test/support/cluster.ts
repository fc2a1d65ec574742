import { parseConfig, type Config } from '../../src/config/index.ts';
import { buildServiceState, type BuildServiceSpec } from '../../src/emulator/index.ts';
import { createEmulatorStore } from '../../src/emulator/store.ts';
import { parseServiceAnswer } from '../../src/onegate/parse.ts';
import type { ClusterView } from '../../src/roles/role.ts';

/** A Config from context variables, failing the test with every issue when they are invalid. */
export function configFrom(vars: Record<string, string>): Config {
  const result = parseConfig(new Map(Object.entries(vars)));
  if (!result.ok) throw new Error(`test context is invalid: ${result.issues.map((i) => `${i.variable}: ${i.expected}`).join('; ')}`);
  return result.config;
}

/** What OneGate would show VM `selfId` of a service built like the emulator builds it. */
export function clusterFrom(spec: BuildServiceSpec, selfId: number): ClusterView {
  const store = createEmulatorStore(buildServiceState(spec));
  const answer = store.getService(selfId, true);
  if (answer.status !== 200) throw new Error(`emulator answered ${answer.status}`);
  const service = parseServiceAnswer(JSON.parse(answer.body));
  const self = service.roles.flatMap((r) => r.nodes).find((n) => n.vmId === selfId)?.vm;
  if (!self) throw new Error(`VM ${selfId} is not in the service`);
  return { self, service };
}

/** The context of a OneKE Kubernetes node with the public VIP 192.168.150.86 and private VIP 172.20.0.86. */
export const K8S_CONTEXT: Record<string, string> = {
  ONEGATE_ENDPOINT: 'http://127.0.0.1:5030',
  VMID: '1',
  TOKENTXT: 'token-of-vm-1',
  SERVICE_ID: '10',
  ONEAPP_VROUTER_ETH0_VIP0: '192.168.150.86',
  ONEAPP_VROUTER_ETH1_VIP0: '172.20.0.86',
};
