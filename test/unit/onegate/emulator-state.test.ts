import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServiceState, createPrng, loadEmulatorState, macFromIp, parseListen, validateEmulatorState } from '../../../src/emulator/index.ts';
import { createFaultInjector } from '../../../src/emulator/faults.ts';
import { ConfigError, UsageError } from '../../../src/errors.ts';

const FIXTURE = new URL('../../fixtures/onegate/service-1-1-1-1.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'oneke-emulator-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function issuesOf(path: string): Promise<string[]> {
  try {
    await loadEmulatorState(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.variable}=${i.shown}: ${i.expected}`);
  }
  throw new Error('expected a ConfigError');
}

describe('buildServiceState', () => {
  it('builds realistic VMs: ROLE_NAME, SERVICE_ID, NICs, IDs as strings', () => {
    const state = buildServiceState({ serviceId: 10, roles: [{ name: 'master', vms: [{ id: 1, ip: '172.20.0.101', userTemplate: { READY: 'YES' } }] }] });
    expect(state.service.SERVICE).toEqual({ id: '10', name: 'OneKE 10', state: 2, roles: [{ name: 'master', cardinality: 1, state: 2, nodes: [{ deploy_id: 1, running: true }] }] });
    const vm = state.vms['1'];
    expect(vm?.token).toBe('emulated-token-s10-vm1');
    expect(vm?.VM).toMatchObject({ ID: '1', NAME: 'master_0_(service_10)', STATE: '3', LCM_STATE: '3', USER_TEMPLATE: { ROLE_NAME: 'master', SERVICE_ID: '10', READY: 'YES' } });
    expect(vm?.VM.TEMPLATE.NIC?.[0]).toMatchObject({ NIC_ID: '0', NAME: 'NIC0', NETWORK: 'private', NETWORK_ID: '1', IP: '172.20.0.101', MAC: '02:00:ac:14:00:65' });
    expect(macFromIp('192.168.150.100')).toBe('02:00:c0:a8:96:64');
    // What the builder makes passes validation unchanged.
    expect(validateEmulatorState(state)).toEqual(state);
  });
});

describe('loadEmulatorState', () => {
  it('loads the example file: service 10, one VM per role, as the builder would make it', async () => {
    const state = await loadEmulatorState(FIXTURE);
    expect(state.service.SERVICE.id).toBe('10');
    expect(state.service.SERVICE.roles.map((r) => [r.name, r.nodes.map((n) => n.deploy_id)])).toEqual([
      ['vnf', [0]],
      ['master', [1]],
      ['worker', [2]],
      ['storage', [3]],
    ]);
    const built = buildServiceState({
      serviceId: 10,
      roles: [
        { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.100', network: 'public' }, { ip: '172.20.0.100' }] }] },
        { name: 'master', vms: [{ id: 1, ip: '172.20.0.101' }] },
        { name: 'worker', vms: [{ id: 2, ip: '172.20.0.102' }] },
        { name: 'storage', vms: [{ id: 3, ip: '172.20.0.103' }] },
      ],
    });
    expect(state.vms).toEqual(built.vms);
  });

  it('reads JSON too, and normalizes numbers, a single NIC object and missing fields', async () => {
    const path = write(
      'state.json',
      JSON.stringify({
        service: { SERVICE: { id: 5, roles: [{ name: 'master', nodes: [{ deploy_id: '7', vm_info: null }] }] } },
        vms: { '7': { token: 't7', VM: { ID: 7, NAME: 'm', STATE: 3, USER_TEMPLATE: { N: 1 }, TEMPLATE: { NIC: { IP: '10.0.0.7' } } } } },
      }),
    );
    const state = await loadEmulatorState(path);
    expect(state.service.SERVICE).toEqual({ id: '5', name: 'service 5', state: 2, roles: [{ name: 'master', cardinality: 1, state: 2, nodes: [{ deploy_id: 7, running: true, vm_info: null }] }] });
    expect(state.vms['7']?.VM).toMatchObject({ ID: '7', STATE: '3', USER_TEMPLATE: { N: '1' }, TEMPLATE: { NIC: [{ IP: '10.0.0.7' }], NIC_ALIAS: [] } });
  });

  it('reads flow-style YAML that opens with a brace as YAML, and JSON the same as its YAML form', async () => {
    const yamlText = "{ service: { SERVICE: { id: 5, roles: [{ name: master, nodes: [{ deploy_id: 7 }] }] } }, vms: { '7': { token: t7, VM: { ID: 7, NAME: m } } } }";
    const jsonText = JSON.stringify({ service: { SERVICE: { id: 5, roles: [{ name: 'master', nodes: [{ deploy_id: 7 }] }] } }, vms: { '7': { token: 't7', VM: { ID: 7, NAME: 'm' } } } });
    const fromYaml = await loadEmulatorState(write('flow.yaml', yamlText));
    expect(fromYaml.vms['7']?.token).toBe('t7');
    expect(await loadEmulatorState(write('same.json', jsonText))).toEqual(fromYaml);
    // Broken JSON is reported by the YAML parser, as before.
    expect((await issuesOf(write('broken.json', '{"service": ')))[0]).toMatch(/valid YAML or JSON/);
  });

  it('names every problem with its path', async () => {
    const path = write(
      'bad.yaml',
      [
        'service:',
        '  SERVICE:',
        '    id: ten',
        '    roles:',
        '      - name: master',
        '        nodes: [{ deploy_id: 1 }, { deploy_id: 9 }, { deploy_id: 1 }]',
        '      - name: master',
        '        nodes: [{ running: yes }]',
        'vms:',
        '  "1": { VM: { ID: "2", NAME: m } }',
        '  x: { token: t, VM: { ID: "3", NAME: "" , TEMPLATE: { NIC: [5] } } }',
      ].join('\n'),
    );
    const issues = await issuesOf(path);
    const where = issues.map((i) => i.split('=')[0]?.replace(`${path}: `, ''));
    expect(where).toEqual([
      'vms.1.token',
      'vms.1.VM.ID',
      'vms.x',
      'vms.x.VM.ID',
      'vms.x.VM.NAME',
      'vms.x.VM.TEMPLATE.NIC[0]',
      'service.SERVICE.id',
      'service.SERVICE.roles[0].nodes[1].deploy_id',
      'service.SERVICE.roles[0].nodes[2].deploy_id',
      'service.SERVICE.roles[1].name',
      'service.SERVICE.roles[1].nodes[0].deploy_id',
    ]);
    expect(issues.join('\n')).toMatch(/deploy_id=9: a VM listed in vms \(add vms\.9\)/);
    expect(issues.every((i) => i.startsWith(path))).toBe(true);
  });

  it('reports an unreadable file, a syntax error and a wrong top level', async () => {
    expect(await issuesOf(join(dir, 'missing.yaml'))).toEqual([`${join(dir, 'missing.yaml')}=ENOENT: a readable emulator state file (YAML or JSON)`]);
    expect((await issuesOf(write('syntax.yaml', 'service: [\n')))[0]).toMatch(/valid YAML or JSON/);
    expect(await issuesOf(write('list.yaml', '- 1\n'))).toEqual([`${join(dir, 'list.yaml')}: (top)=[1]: a map with service and vms`]);
    expect((await issuesOf(write('noservice.yaml', 'vms: {}\n')))[0]).toMatch(/service\.SERVICE=\(missing\)/);
  });
});

describe('emulator helpers', () => {
  it('parses --listen', () => {
    expect(parseListen('127.0.0.1:5030')).toEqual({ host: '127.0.0.1', port: 5030 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('0.0.0.0:5030')).toEqual({ host: '0.0.0.0', port: 5030 });
    for (const bad of ['5030', 'host', 'h:99999', 'h:-1', '::1:80', '']) expect(() => parseListen(bad)).toThrow(UsageError);
  });

  it('has a seeded PRNG and a fault injector that respects the routes', () => {
    const a = createPrng(3);
    const b = createPrng(3);
    const seq = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seq);
    expect(seq.every((x) => x >= 0 && x < 1)).toBe(true);

    const only404 = createFaultInjector({ notFound404: 1, malformed: 0 });
    expect(only404.decide({ isService: false, isGet: true }).terminal).toBeUndefined();
    expect(only404.decide({ isService: true, isGet: true }).terminal).toEqual({ kind: 'notFound404' });
    const onlyMalformed = createFaultInjector({ malformed: 1 });
    expect(onlyMalformed.decide({ isService: false, isGet: false }).terminal).toBeUndefined();
    expect(onlyMalformed.decide({ isService: false, isGet: true }).terminal?.kind).toBe('malformed');
    expect(onlyMalformed.counts()).toMatchObject({ malformed: 1, notFound404: 0 });
    expect(() => createFaultInjector({ delayMs: { rate: 0.5, ms: -1 } })).toThrow(ConfigError);
  });
});
