import { describe, expect, test } from 'vitest';
import { claimedNames, isCandidateName, namesClaimedBy, staleNodes, type StaleVerdict } from '../../../../src/roles/kubernetes/stale-nodes.ts';
import { parseServiceAnswer, type NodeRecord, type ServiceRecord, type VmRecord } from '../../../../src/onegate/parse.ts';

// --- builders of what the OneGate client hands over ---------------------------------------------

interface VmSpec {
  ips?: string[];
  aliases?: string[];
  ut?: Record<string, string>;
  complete?: boolean;
  role?: string;
}

function vm(id: number, spec: VmSpec = {}): VmRecord {
  return {
    id,
    name: `vm-${id}`,
    userTemplate: { ROLE_NAME: spec.role ?? 'worker', SERVICE_ID: '10', ...spec.ut },
    nics: (spec.ips ?? []).map((ip, i) => ({ ip, name: `NIC${i}`, mac: '02:00:00:00:00:01' })),
    nicAliases: (spec.aliases ?? []).map((ip, i) => ({ ip, name: `NIC0_ALIAS${i}`, parent: 'NIC0' })),
    complete: spec.complete ?? true,
  };
}

const full = (v: VmRecord): NodeRecord => ({ deployId: v.id, vmId: v.id, running: true, vmInfo: 'full', vm: v });

function service(roles: Record<string, NodeRecord[]>): ServiceRecord {
  return { id: 10, name: 'OneKE', roles: Object.entries(roles).map(([name, nodes]) => ({ name, cardinality: nodes.length, nodes })) };
}

/** vnf 0, master 1 (self), workers 2 and 4, storage 3; everyone published its node name. */
function healthy(overrides: Partial<Record<'vnf' | 'master' | 'worker' | 'storage', NodeRecord[]>> = {}): ServiceRecord {
  const k8s = (id: number, role: string) => vm(id, { role, ips: [`172.20.0.${100 + id}`], ut: { ONEGATE_K8S_NODE_NAME: `oneke-ip-172-20-0-${100 + id}` } });
  return service({
    vnf: overrides.vnf ?? [full(vm(0, { role: 'vnf', ips: ['192.168.150.100', '172.20.0.100'] }))],
    master: overrides.master ?? [full(k8s(1, 'master'))],
    worker: overrides.worker ?? [full(k8s(2, 'worker')), full(k8s(4, 'worker'))],
    storage: overrides.storage ?? [full(k8s(3, 'storage'))],
  });
}

const NODES = ['oneke-ip-172-20-0-101', 'oneke-ip-172-20-0-102', 'oneke-ip-172-20-0-103', 'oneke-ip-172-20-0-104'];
const OPTS = { selfVmId: 1, selfNodeName: 'oneke-ip-172-20-0-101' };

const deletes = (names: string[], keptReady: string[] = []): StaleVerdict => ({ delete: names, keptReady });
const refuses = (pattern: RegExp) => ({ refuse: expect.stringMatching(pattern) as unknown as string });

// --- the table ------------------------------------------------------------------------------------

interface Case {
  name: string;
  nodes: string[];
  service: ServiceRecord | undefined;
  options?: Parameters<typeof staleNodes>[2];
  expected: StaleVerdict | { refuse: string };
}

const cases: Case[] = [
  { name: 'every node claimed: nothing to delete', nodes: NODES, service: healthy(), expected: deletes([]) },
  {
    name: 'a worker removed by a scale-down: its node goes',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy(),
    expected: deletes(['oneke-ip-172-20-0-105']),
  },
  {
    name: 'a worker removed from the service (answer without VM 4)',
    nodes: NODES,
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'], ut: { ONEGATE_K8S_NODE_NAME: 'oneke-ip-172-20-0-102' } }))] }),
    expected: deletes(['oneke-ip-172-20-0-104']),
  },
  {
    name: 'several stale nodes, sorted, duplicates once',
    nodes: ['oneke-ip-172-20-0-120', ...NODES, 'oneke-ip-172-20-0-110', 'oneke-ip-172-20-0-120'],
    service: healthy(),
    expected: deletes(['oneke-ip-172-20-0-110', 'oneke-ip-172-20-0-120']),
  },
  {
    name: 'a VM that has not published its name yet still claims the name of its IP',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), full(vm(4, { ips: ['172.20.0.104'] })), full(vm(5, { ips: ['172.20.0.105'] }))] }),
    expected: deletes([]),
  },
  {
    name: 'a published name that is not made from the IP is claimed too',
    nodes: [...NODES, 'oneke-ip-10-9-9-9'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), full(vm(4, { ips: ['172.20.0.104'], ut: { ONEGATE_K8S_NODE_NAME: 'oneke-ip-10-9-9-9' } }))] }),
    expected: deletes([]),
  },
  {
    name: 'every IPv4 of a VM is claimed: second NIC, NIC alias',
    nodes: [...NODES, 'oneke-ip-10-1-1-4', 'oneke-ip-10-2-2-4'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), full(vm(4, { ips: ['172.20.0.104', '10.1.1.4'], aliases: ['10.2.2.4'] }))] }),
    expected: deletes([]),
  },
  {
    name: 'nodes not named by OneKE are never candidates',
    nodes: [...NODES, 'my-own-node', 'oneke-ip-172-20-0', 'oneke-ip-010-20-0-1', 'oneke-ip-300-1-1-1', 'oneke-ip-1-2-3-4-5', 'ONEKE-IP-1-2-3-4', 'x-oneke-ip-1-2-3-4'],
    service: healthy(),
    expected: deletes([]),
  },
  {
    name: "this master's own node is never deleted, even when the answer would not claim it",
    nodes: [...NODES, 'oneke-ip-172-20-0-250'],
    service: healthy(),
    options: { selfVmId: 1, selfNodeName: 'oneke-ip-172-20-0-250' },
    expected: deletes([]),
  },
  {
    name: 'an unclaimed node that is still Ready is kept and reported',
    nodes: [...NODES, 'oneke-ip-172-20-0-105', 'oneke-ip-172-20-0-106'],
    service: healthy(),
    options: { ...OPTS, readyNodes: [...NODES, 'oneke-ip-172-20-0-106'] },
    expected: deletes(['oneke-ip-172-20-0-105'], ['oneke-ip-172-20-0-106']),
  },
  {
    name: 'a brief node filled in by the per-VM fallback counts as complete',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy({ storage: [{ deployId: 3, vmId: 3, vmInfo: 'brief', vm: vm(3, { role: 'storage', ips: ['172.20.0.103'] }) }] }),
    expected: deletes(['oneke-ip-172-20-0-105']),
  },
  { name: 'no Kubernetes nodes at all', nodes: [], service: healthy(), expected: deletes([]) },

  // Refusals: an incomplete answer deletes nothing, however stale the nodes look.
  { name: 'no answer from OneGate', nodes: [...NODES, 'oneke-ip-172-20-0-105'], service: undefined, expected: refuses(/no answer from OneGate/) },
  { name: 'a service without roles', nodes: [...NODES, 'oneke-ip-172-20-0-105'], service: service({}), expected: refuses(/no roles/) },
  {
    name: 'a node whose vm_info is null (OpenNebula issue 6406)',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), { deployId: 4, vmId: 4, vmInfo: 'missing' }] }),
    expected: refuses(/node 1 of role worker \(VM 4\) has no vm_info/),
  },
  {
    name: 'vm_info null even when the fallback fetched the VM by deploy_id',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), { deployId: 4, vmId: 4, vmInfo: 'missing', vm: vm(4, { ips: ['172.20.0.104'] }) }] }),
    expected: refuses(/has no vm_info/),
  },
  {
    name: 'a brief node the fallback could not fill (VM gone between two calls)',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), { deployId: 4, vmId: 4, vmInfo: 'brief' }] }),
    expected: refuses(/VM 4\): OneGate did not show the full VM/),
  },
  {
    name: 'a VM shown with ids and names only',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), { deployId: 4, vmId: 4, vmInfo: 'full', vm: vm(4, { complete: false }) }] }),
    expected: refuses(/did not show the full VM/),
  },
  {
    name: 'a VM without its USER_TEMPLATE (no ROLE_NAME)',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), full({ ...vm(4, { ips: ['172.20.0.104'] }), userTemplate: {} })] }),
    expected: refuses(/VM 4\): OneGate showed the VM without its USER_TEMPLATE/),
  },
  {
    name: 'a VM without NICs and without a published name',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), full(vm(4))] }),
    expected: refuses(/neither ONEGATE_K8S_NODE_NAME nor an IPv4/),
  },
  {
    name: 'a node whose VM is another VM',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy({ worker: [full(vm(2, { ips: ['172.20.0.102'] })), { deployId: 4, vmId: 4, vmInfo: 'full', vm: vm(7, { ips: ['172.20.0.104'] }) }] }),
    expected: refuses(/OneGate showed VM 7 for it/),
  },
  {
    name: 'an answer that does not list this VM',
    nodes: [...NODES, 'oneke-ip-172-20-0-105'],
    service: healthy(),
    options: { selfVmId: 9 },
    expected: refuses(/this VM \(9\) is not among the nodes of service 10/),
  },
  {
    name: 'a refusal also when no node looks stale',
    nodes: NODES,
    service: healthy({ vnf: [{ deployId: 0, vmId: 0, vmInfo: 'missing' }] }),
    expected: refuses(/role vnf/),
  },
];

describe('staleNodes', () => {
  test.each(cases)('$name', ({ nodes, service: svc, options, expected }) => {
    expect(staleNodes(nodes, svc, options ?? OPTS)).toEqual(expected);
  });

  test('a refusal is one line', () => {
    for (const c of cases) {
      const verdict = staleNodes(c.nodes, c.service, c.options ?? OPTS);
      if ('refuse' in verdict) expect(verdict.refuse).not.toMatch(/\n/);
    }
  });

  test('from a raw OneGate answer whose node has vm_info null: refuse', () => {
    const vmJson = (id: number, ip: string, role: string) => ({
      VM: { ID: String(id), NAME: `${role}_${id}`, USER_TEMPLATE: { ROLE_NAME: role, SERVICE_ID: '10' }, TEMPLATE: { NIC: { IP: ip, MAC: '02:00:ac:14:00:01', NAME: 'NIC0' } } },
    });
    const raw = {
      SERVICE: {
        id: '10',
        name: 'OneKE',
        roles: [
          { name: 'master', cardinality: 1, nodes: [{ deploy_id: 1, running: true, vm_info: vmJson(1, '172.20.0.101', 'master') }] },
          {
            name: 'worker',
            cardinality: 2,
            nodes: [
              { deploy_id: 2, running: true, vm_info: vmJson(2, '172.20.0.102', 'worker') },
              { deploy_id: 4, running: null, vm_info: null },
            ],
          },
          { name: 'storage', cardinality: 0, nodes: [] },
        ],
      },
    };
    const svc = parseServiceAnswer(raw);
    expect(staleNodes(['oneke-ip-172-20-0-101', 'oneke-ip-172-20-0-102', 'oneke-ip-172-20-0-104'], svc, { selfVmId: 1 })).toEqual({
      refuse: "node 1 of role worker (VM 4) has no vm_info in OneGate's answer",
    });
    // The same answer with the node's VM shown: the node of VM 4 is stale only if VM 4 does not claim it.
    const worker = raw.SERVICE.roles[1]!;
    worker.nodes[1] = { deploy_id: 4, running: true, vm_info: vmJson(4, '172.20.0.104', 'worker') };
    expect(staleNodes(['oneke-ip-172-20-0-101', 'oneke-ip-172-20-0-102', 'oneke-ip-172-20-0-104', 'oneke-ip-172-20-0-9'], parseServiceAnswer(raw), { selfVmId: 1 })).toEqual(
      deletes(['oneke-ip-172-20-0-9']),
    );
  });
});

describe('claims', () => {
  test('a VM claims its published name, its NICs, aliases and external IPs, and its master IP', () => {
    const v = vm(1, { ips: ['172.20.0.101'], aliases: ['172.20.0.201'], ut: { ONEGATE_K8S_NODE_NAME: ' oneke-ip-9-9-9-9 ', ONEGATE_K8S_MASTER: '172.20.0.150' } });
    v.nics.push({ ip: 'not-an-ip', externalIp: '203.0.113.7' }, { ip6Global: '2001:db8::1' });
    expect(namesClaimedBy(v).sort()).toEqual(['oneke-ip-172-20-0-101', 'oneke-ip-172-20-0-150', 'oneke-ip-172-20-0-201', 'oneke-ip-203-0-113-7', 'oneke-ip-9-9-9-9']);
  });

  test('claimedNames gathers every VM of every role', () => {
    const result = claimedNames(healthy(), 1);
    expect('claimed' in result && [...result.claimed].sort()).toEqual(['oneke-ip-172-20-0-100', ...NODES, 'oneke-ip-192-168-150-100']);
  });

  test.each([
    ['oneke-ip-10-0-0-5', true],
    ['oneke-ip-255-255-255-255', true],
    ['oneke-ip-0-0-0-0', true],
    ['oneke-ip-256-0-0-5', false],
    ['oneke-ip-10-0-0-05', false],
    ['oneke-ip-10-0-0', false],
    ['oneke-ip-10-0-0-5.example', false],
    ['oneke-ip-a-b-c-d', false],
  ])('candidate name %s: %s', (name, expected) => {
    expect(isCandidateName(name)).toBe(expected);
  });
});
