import { describe, expect, it } from 'vitest';
import { OnekeError } from '../../../src/errors.ts';
import { OneGateAnswerError } from '../../../src/onegate/answer-error.ts';
import { isExtendedAnswer, parseJson, parseServiceAnswer, parseVmAnswer } from '../../../src/onegate/parse.ts';

// GET /vm as OneGate 6.x/7.x sends it (build_vm_hash): NIC always a list, filtered keys.
const vmAnswer = {
  VM: {
    NAME: 'master_0_(service_10)',
    ID: '1',
    STATE: '3',
    LCM_STATE: '3',
    USER_TEMPLATE: { ROLE_NAME: 'master', SERVICE_ID: '10', READY: 'YES', ONEGATE_K8S_MASTER: '172.20.0.101' },
    TEMPLATE: {
      NIC: [{ IP: '172.20.0.101', MAC: '02:00:ac:14:00:65', NAME: 'NIC0', NETWORK: 'private' }],
      NIC_ALIAS: [{ IP: '172.20.0.200', MAC: '02:00:ac:14:00:c8', NAME: 'NIC0_ALIAS0', NETWORK: 'private', PARENT: 'NIC0', EXTERNAL: 'NO' }],
    },
  },
};

// A node of GET /service?extended=true: the whole VM from oned's XML, one NIC as an object.
const extendedNode = {
  deploy_id: 3,
  running: true,
  vm_info: {
    VM: {
      ID: '3',
      UID: '0',
      NAME: 'storage_0_(service_10)',
      STATE: '3',
      LCM_STATE: '3',
      USER_TEMPLATE: { ROLE_NAME: 'storage', SERVICE_ID: '10', SCHED_ACTION: { ID: '0' }, SOME_NUMBER: 7 },
      TEMPLATE: {
        NIC: { NIC_ID: '0', NETWORK_ID: '1', IP: '172.20.0.103', MAC: '02:00:ac:14:00:67', NAME: 'NIC0', NETWORK: 'private', EXTERNAL_IP: '10.0.0.3', EXTERNAL: 'YES' },
        CONTEXT: { TOKEN: 'YES' },
      },
    },
  },
};

const plainService = {
  SERVICE: {
    name: 'OneKE 1.33',
    id: '10',
    state: 2,
    roles: [
      {
        name: 'vnf',
        cardinality: 1,
        state: 2,
        nodes: [{ deploy_id: 0, running: true, vm_info: { VM: { ID: '0', UID: '0', GID: '0', UNAME: 'oneadmin', GNAME: 'oneadmin', NAME: 'vnf_0_(service_10)' } } }],
      },
      { name: 'master', cardinality: '1', state: '2', nodes: [{ deploy_id: '1', running: null, vm_info: null }] },
      { name: 'worker', cardinality: 1, state: 1, nodes: [{ deploy_id: 2 }] },
      { name: 'storage', cardinality: 0, state: 0, nodes: null },
    ],
  },
};

describe('parseVmAnswer', () => {
  it('reads a GET /vm answer', () => {
    const vm = parseVmAnswer(vmAnswer);
    expect(vm).toEqual({
      id: 1,
      name: 'master_0_(service_10)',
      state: '3',
      lcmState: '3',
      userTemplate: { ROLE_NAME: 'master', SERVICE_ID: '10', READY: 'YES', ONEGATE_K8S_MASTER: '172.20.0.101' },
      nics: [{ ip: '172.20.0.101', mac: '02:00:ac:14:00:65', name: 'NIC0', network: 'private' }],
      nicAliases: [{ ip: '172.20.0.200', mac: '02:00:ac:14:00:c8', name: 'NIC0_ALIAS0', network: 'private', parent: 'NIC0', external: false }],
      complete: true,
    });
  });

  it('takes one NIC given as an object, and keeps only scalar USER_TEMPLATE values', () => {
    const vm = parseVmAnswer({ VM: extendedNode.vm_info.VM });
    expect(vm.nics).toEqual([{ ip: '172.20.0.103', mac: '02:00:ac:14:00:67', name: 'NIC0', network: 'private', externalIp: '10.0.0.3', external: true }]);
    expect(vm.userTemplate).toEqual({ ROLE_NAME: 'storage', SERVICE_ID: '10', SOME_NUMBER: '7' });
    expect(vm.nicAliases).toEqual([]);
  });

  it('accepts a numeric ID and a VM without TEMPLATE or USER_TEMPLATE', () => {
    expect(parseVmAnswer({ VM: { ID: 5, NAME: 'x' } })).toEqual({ id: 5, name: 'x', userTemplate: {}, nics: [], nicAliases: [], complete: false });
    expect(parseVmAnswer({ VM: { ID: '6', USER_TEMPLATE: {} } }).complete).toBe(true);
    expect(parseVmAnswer({ VM: { ID: '6', TEMPLATE: { NIC: null } } }).nics).toEqual([]);
  });

  it('skips NIC entries that are not objects', () => {
    expect(parseVmAnswer({ VM: { ID: '1', TEMPLATE: { NIC: ['junk', 3, null, { IP: '10.0.0.1' }] } } }).nics).toEqual([{ ip: '10.0.0.1' }]);
  });

  it.each([
    ['null', null],
    ['a string', 'VM'],
    ['an array', [vmAnswer]],
    ['no VM', { SERVICE: {} }],
    ['VM null', { VM: null }],
    ['VM a list', { VM: [vmAnswer.VM] }],
    ['no ID', { VM: { NAME: 'a' } }],
    ['a bad ID', { VM: { ID: 'abc' } }],
    ['a negative ID', { VM: { ID: -1 } }],
    ['a fractional ID', { VM: { ID: 1.5 } }],
  ])('throws OneGateAnswerError for %s', (_what, raw) => {
    expect(() => parseVmAnswer(raw)).toThrow(OneGateAnswerError);
  });
});

describe('parseServiceAnswer', () => {
  it('reads a plain answer: ids and names only, vm_info null, IDs as strings, nodes null', () => {
    const svc = parseServiceAnswer(plainService);
    expect(svc.id).toBe(10);
    expect(svc.name).toBe('OneKE 1.33');
    expect(svc.state).toBe(2);
    expect(svc.roles.map((r) => [r.name, r.cardinality, r.state, r.nodes.length])).toEqual([
      ['vnf', 1, 2, 1],
      ['master', 1, 2, 1],
      ['worker', 1, 1, 1],
      ['storage', 0, 0, 0],
    ]);
    expect(svc.roles[0]?.nodes[0]).toEqual({ deployId: 0, running: true, vmId: 0, name: 'vnf_0_(service_10)', vmInfo: 'brief' });
    // OpenNebula issue 6406: vm_info null; the node is still known by deploy_id.
    expect(svc.roles[1]?.nodes[0]).toEqual({ deployId: 1, vmId: 1, vmInfo: 'missing' });
    expect(svc.roles[2]?.nodes[0]).toEqual({ deployId: 2, vmId: 2, vmInfo: 'missing' });
    expect(isExtendedAnswer(svc)).toBe(false);
  });

  it('reads an extended answer: each node has its VM', () => {
    const svc = parseServiceAnswer({
      SERVICE: { id: 10, name: 's', state: 2, roles: [{ name: 'storage', cardinality: 1, state: 2, nodes: [extendedNode, { deploy_id: 4, running: false, vm_info: null }] }] },
    });
    const [full, missing] = svc.roles[0]?.nodes ?? [];
    expect(full?.vmInfo).toBe('full');
    expect(full?.vm?.id).toBe(3);
    expect(full?.vm?.nics[0]?.ip).toBe('172.20.0.103');
    expect(missing).toEqual({ deployId: 4, running: false, vmId: 4, vmInfo: 'missing' });
    // A null vm_info says nothing about extended; the full one says yes.
    expect(isExtendedAnswer(svc)).toBe(true);
  });

  it('treats a vm_info without a usable VM like a missing one', () => {
    const svc = parseServiceAnswer({
      SERVICE: {
        id: '1',
        roles: [{ name: 'a', nodes: [{ deploy_id: 9, vm_info: {} }, { vm_info: { VM: { NAME: 'x' } } }, { vm_info: 'junk' }, { deploy_id: 5, vm_info: { VM: { ID: 'x', TEMPLATE: {} } } }] }],
      },
    });
    expect(svc.roles[0]?.nodes).toEqual([{ deployId: 9, vmId: 9, vmInfo: 'missing' }, { vmInfo: 'missing' }, { vmInfo: 'missing' }, { deployId: 5, vmId: 5, vmInfo: 'missing' }]);
    expect(svc.roles[0]?.cardinality).toBe(4);
    expect(svc.name).toBe('');
    expect(svc.state).toBeUndefined();
  });

  it('accepts running given as text', () => {
    const svc = parseServiceAnswer({
      SERVICE: {
        id: '1',
        roles: [
          {
            name: 'a',
            nodes: [
              { deploy_id: 1, running: 'true' },
              { deploy_id: 2, running: 'maybe' },
            ],
          },
        ],
      },
    });
    expect(svc.roles[0]?.nodes.map((n) => n.running)).toEqual([true, undefined]);
  });

  it.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an empty object', {}],
    ['SERVICE null', { SERVICE: null }],
    ['SERVICE a string', { SERVICE: 'x' }],
    ['no id', { SERVICE: { roles: [] } }],
    ['roles missing', { SERVICE: { id: '1' } }],
    ['roles an object', { SERVICE: { id: '1', roles: { name: 'vnf' } } }],
    ['a role that is not an object', { SERVICE: { id: '1', roles: [null] } }],
    ['a role without a name', { SERVICE: { id: '1', roles: [{ nodes: [] }] } }],
    ['nodes an object', { SERVICE: { id: '1', roles: [{ name: 'a', nodes: { deploy_id: 1 } }] } }],
    ['a node that is a number', { SERVICE: { id: '1', roles: [{ name: 'a', nodes: [7] }] } }],
  ])('throws OneGateAnswerError for %s', (_what, raw) => {
    expect(() => parseServiceAnswer(raw)).toThrow(OneGateAnswerError);
  });

  it('names where the answer is wrong', () => {
    expect(() => parseServiceAnswer({ SERVICE: { id: '1', roles: [{ name: 'a' }, { name: 'b', nodes: 'x' }] } })).toThrow(/SERVICE\.roles\[1\]\.nodes: expected a list/);
  });

  it('never throws anything but OneGateAnswerError on garbage', () => {
    const garbage: unknown[] = [
      Symbol('x'),
      () => 1,
      10n,
      NaN,
      [],
      [[]],
      { SERVICE: { id: '1', roles: [{ name: 'a', nodes: [{ vm_info: { VM: [] } }] }] } },
      { SERVICE: { id: '1', roles: [{ name: { x: 1 } }] } },
      { SERVICE: { id: '1', roles: [{ name: 'a', nodes: [{ deploy_id: {}, running: [], vm_info: { VM: { ID: '1', USER_TEMPLATE: [], TEMPLATE: 'x' } } }] }] } },
      JSON.parse('{"__proto__": {"VM": {"ID": "1"}}}'),
      Object.create(null),
    ];
    for (const raw of garbage) {
      for (const parse of [parseVmAnswer, parseServiceAnswer]) {
        try {
          parse(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(OneGateAnswerError);
          expect(error).toBeInstanceOf(OnekeError);
        }
      }
    }
  });
});

describe('parseJson', () => {
  it('parses JSON and turns a syntax error into OneGateAnswerError without quoting much of the text', () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    expect(() => parseJson('<html>502 Bad Gateway, secret-ish text here</html>')).toThrow(OneGateAnswerError);
    try {
      parseJson('{"VM":{"USER_TEMPLATE":{"ONEGATE_K8S_TOKEN":"K10abc');
    } catch (error) {
      expect((error as Error).message).not.toContain('K10abc');
    }
  });
});
