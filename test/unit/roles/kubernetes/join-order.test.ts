import { describe, expect, test } from 'vitest';
import { decideJoin, mastersOf, type K8sRole } from '../../../../src/roles/kubernetes/join-order.ts';
import { clusterFrom } from '../../../support/cluster.ts';

type Peer = { id: number; published?: 'ip' | 'ready' | 'token-only' };

/** A service with these masters (and one worker 20, one storage 30), as seen by VM `self`. */
function decide(role: K8sRole, self: number, masters: Peer[], reachable: number[] = masters.map((m) => m.id), selfTemplate: Record<string, string> = {}) {
  const template = (p: Peer): Record<string, string> => {
    const ip = `172.20.0.${p.id}`;
    if (p.published === 'ip') return { ONEGATE_K8S_MASTER: ip, ONEGATE_K8S_TOKEN: 'K10tok' };
    if (p.published === 'ready') return { ONEGATE_K8S_MASTER: ip, ONEGATE_K8S_TOKEN: 'K10tok', READY: 'YES' };
    if (p.published === 'token-only') return { ONEGATE_K8S_TOKEN: 'K10tok' };
    return {};
  };
  const withSelf = (p: Peer) => ({ id: p.id, ip: `172.20.0.${p.id}`, userTemplate: { ...template(p), ...(p.id === self ? selfTemplate : {}) } });
  const cluster = clusterFrom(
    {
      serviceId: 10,
      roles: [
        { name: 'vnf', vms: [{ id: 0, ip: '172.20.0.200' }] },
        { name: 'master', vms: masters.map(withSelf) },
        { name: 'worker', vms: [{ id: 20, ip: '172.20.0.20', userTemplate: self === 20 ? selfTemplate : {} }] },
        { name: 'storage', vms: [{ id: 30, ip: '172.20.0.30', userTemplate: self === 30 ? selfTemplate : {} }] },
      ],
    },
    self,
  );
  return decideJoin({ role, self: cluster.self, masters: mastersOf(cluster.service), reachable: new Set(reachable) });
}

describe('decideJoin', () => {
  test.each<[string, K8sRole, number, Peer[], number[] | undefined, Record<string, string>, string, RegExp?]>([
    // role × READY × position × what peers published
    ['lone first master initialises', 'master', 1, [{ id: 1 }], undefined, {}, 'initialise'],
    ['first of three initialises while the others wait', 'master', 1, [{ id: 1 }, { id: 2 }, { id: 3 }], undefined, {}, 'initialise'],
    ['second master waits for the first to be usable', 'master', 2, [{ id: 1 }, { id: 2 }, { id: 3 }], undefined, {}, 'wait', /master 1 to join first/],
    ['third master waits for the second to join first', 'master', 3, [{ id: 1, published: 'ready' }, { id: 2 }, { id: 3 }], undefined, {}, 'wait', /master 2 to join first/],
    ['second master joins once the first is usable', 'master', 2, [{ id: 1, published: 'ready' }, { id: 2 }, { id: 3 }], undefined, {}, 'join-server'],
    ['third master joins once the second published its IP', 'master', 3, [{ id: 1, published: 'ready' }, { id: 2, published: 'ip' }, { id: 3 }], undefined, {}, 'join-server'],
    ['a master waits while the usable master does not answer on 6443', 'master', 2, [{ id: 1, published: 'ready' }, { id: 2 }], [], {}, 'wait', /not answering on 6443/],
    ['a lower master that left the service does not block', 'master', 5, [{ id: 3, published: 'ready' }, { id: 5 }], undefined, {}, 'join-server'],
    ['a replaced first master joins instead of initialising', 'master', 7, [{ id: 7 }, { id: 8, published: 'ready' }], undefined, {}, 'join-server'],
    ['the lowest master does not initialise when another published a token', 'master', 1, [{ id: 1 }, { id: 2, published: 'token-only' }], undefined, {}, 'wait', /a master to join through/],
    ['the first master resumes its own initialisation', 'master', 1, [{ id: 1, published: 'token-only' }], undefined, {}, 'initialise', /resuming/],
    ['a READY master restarts, whatever its peers', 'master', 2, [{ id: 1 }, { id: 2, published: 'ready' }], undefined, { READY: 'YES' }, 'restart'],
    ['worker waits without a usable master', 'worker', 20, [{ id: 1 }], undefined, {}, 'wait', /none is READY/],
    ['worker waits for a master that is published but not READY', 'worker', 20, [{ id: 1, published: 'ip' }], undefined, {}, 'wait'],
    ['worker joins as an agent once a master is usable', 'worker', 20, [{ id: 1, published: 'ready' }, { id: 2 }], undefined, {}, 'join-agent'],
    ['workers do not wait for joining masters', 'worker', 20, [{ id: 1, published: 'ready' }, { id: 2 }, { id: 3 }], undefined, {}, 'join-agent'],
    ['storage joins as an agent', 'storage', 30, [{ id: 1, published: 'ready' }], undefined, {}, 'join-agent'],
    ['READY storage restarts', 'storage', 30, [{ id: 1, published: 'ready' }], undefined, { READY: 'YES' }, 'restart'],
    ['READY is read case-insensitively', 'worker', 20, [{ id: 1 }], undefined, { READY: 'yes' }, 'restart'],
  ])('%s', (_name, role, self, masters, reachable, selfTemplate, kind, reason) => {
    const decision = decide(role, self, masters, reachable, selfTemplate);
    expect(decision?.kind).toBe(kind);
    if (reason) expect(decision?.reason).toMatch(reason);
  });

  test('joins go through the lowest usable master', () => {
    const decision = decide('master', 4, [{ id: 1, published: 'ready' }, { id: 2, published: 'ready' }, { id: 4 }], [2]);
    expect(decision).toMatchObject({ kind: 'join-server', via: { vmId: 2, ip: '172.20.0.2', token: 'K10tok' } });
  });

  test('a master whose VM info is missing blocks those after it', () => {
    const cluster = clusterFrom(
      {
        serviceId: 10,
        roles: [
          {
            name: 'master',
            vms: [
              { id: 1, ip: '172.20.0.1', userTemplate: { READY: 'YES', ONEGATE_K8S_MASTER: '172.20.0.1', ONEGATE_K8S_TOKEN: 't' } },
              { id: 2, ip: '172.20.0.2' },
              { id: 3, ip: '172.20.0.3' },
            ],
          },
        ],
      },
      3,
    );
    const node2 = cluster.service?.roles[0]?.nodes[1];
    if (node2) {
      delete node2.vm;
      node2.vmInfo = 'missing';
    }
    const decision = decideJoin({ role: 'master', self: cluster.self, masters: mastersOf(cluster.service), reachable: new Set([1]) });
    expect(decision.kind).toBe('wait');
    expect(decision.reason).toMatch(/master 2 to join first/);
  });
});
