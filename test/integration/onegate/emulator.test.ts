import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { runEmulatorCommand, type EmulatorHandle } from '../../../src/emulator/index.ts';
import { ConfigError, OneGateError, UsageError } from '../../../src/errors.ts';
import { snapshotClient } from '../../../src/emulator/snapshot.ts';
import { clientOf, emulator, track } from './helpers.ts';

const FIXTURE = new URL('../../fixtures/onegate/service-1-1-1-1.yaml', import.meta.url).pathname;

/** A raw request as VM `vmId` (its token unless `token` says otherwise). */
async function raw(
  emu: EmulatorHandle,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  options: { vmId?: number; token?: string | null; body?: string; contentType?: string } = {},
): Promise<{ status: number; body: string; contentType: string | undefined; json: () => any }> {
  const vmId = options.vmId ?? 1;
  const headers: Record<string, string> = { 'x-onegate-vmid': String(vmId) };
  const token = options.token === undefined ? emu.tokenOf(vmId) : options.token;
  if (token !== null && token !== undefined) headers['x-onegate-token'] = token;
  if (options.contentType) headers['content-type'] = options.contentType;
  const res = await request(`${emu.url}${path}`, { method, headers, body: options.body });
  const body = await res.body.text();
  return { status: res.statusCode, body, contentType: res.headers['content-type'] as string | undefined, json: () => JSON.parse(body) };
}

const form = 'application/x-www-form-urlencoded';

describe('OneGate emulator', () => {
  it('answers GET /vm like build_vm_hash: filtered NIC keys, NIC always a list, JSON content type', async () => {
    const emu = await emulator();
    const res = await raw(emu, 'GET', '/vm', { vmId: 0 });
    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/json;charset=utf-8');
    const vm = res.json().VM;
    expect(Object.keys(vm)).toEqual(['NAME', 'ID', 'STATE', 'LCM_STATE', 'USER_TEMPLATE', 'TEMPLATE']);
    expect(vm.TEMPLATE.NIC).toEqual([
      { NAME: 'NIC0', NETWORK: 'public', IP: '192.168.150.100', MAC: '02:00:c0:a8:96:64' },
      { NAME: 'NIC1', NETWORK: 'private', IP: '172.20.0.100', MAC: '02:00:ac:14:00:64' },
    ]);
    expect(vm.TEMPLATE.NIC_ALIAS).toEqual([]);
  });

  it('answers GET /service with ids and names only, and the full VMs with any extended value', async () => {
    const emu = await emulator();
    const plain = (await raw(emu, 'GET', '/service')).json();
    const node = plain.SERVICE.roles[1].nodes[0];
    expect(node).toEqual({ deploy_id: 1, running: true, vm_info: { VM: { ID: '1', UID: '0', GID: '0', UNAME: 'oneadmin', GNAME: 'oneadmin', NAME: 'master_0_(service_10)' } } });
    expect(Object.keys(plain.SERVICE)).toEqual(['name', 'id', 'state', 'roles']);

    for (const query of ['?extended=true', '?extended=false', '?extended=', '?extended']) {
      const ext = (await raw(emu, 'GET', `/service${query}`)).json();
      const vm = ext.SERVICE.roles[1].nodes[0].vm_info.VM;
      // The whole VM as oned's XML gives it: one NIC is an object, with every key.
      expect(vm.TEMPLATE.NIC).toMatchObject({ IP: '172.20.0.101', NIC_ID: '0', NETWORK_ID: '1', VN_MAD: 'bridge' });
      expect(vm.USER_TEMPLATE).toEqual({ ROLE_NAME: 'master', SERVICE_ID: '10' });
    }
    // The stock clients send extended as a form body on GET.
    const bodyExt = (await raw(emu, 'GET', '/service', { body: 'extended=true', contentType: form })).json();
    expect(bodyExt.SERVICE.roles[0].nodes[0].vm_info.VM.TEMPLATE.NIC).toHaveLength(2);
    expect(emu.stats().requests).toMatchObject({ 'GET /service': 1, 'GET /service?extended': 5 });

    emu.setIgnoreExtended(true);
    expect((await raw(emu, 'GET', '/service?extended=true')).json()).toEqual(plain);
  });

  it('answers 400 to unknown paths and methods, before any auth', async () => {
    const emu = await emulator();
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/vm/'],
      ['POST', '/vm'],
      ['DELETE', '/vms/1'],
      ['GET', '/vrouter'],
      ['PUT', '/service'],
    ] as const) {
      const res = await raw(emu, method, path, { token: null });
      expect([method, path, res.status, res.body]).toEqual([method, path, 400, "OneGate server doesn't support this feature"]);
    }
    expect(emu.stats().requests.other).toBe(6);
  });

  it('answers 401 without a token, without a VMID, or with a wrong one', async () => {
    const emu = await emulator();
    expect((await raw(emu, 'GET', '/vm', { token: null })).status).toBe(401);
    expect((await raw(emu, 'GET', '/vm', { token: 'nope' })).status).toBe(401);
    expect((await raw(emu, 'GET', '/vm', { vmId: 99, token: 'x' })).status).toBe(401);
    const res = await request(`${emu.url}/vm`, { headers: { 'x-onegate-token': emu.tokenOf(1) ?? '' } });
    expect([res.statusCode, await res.body.text()]).toEqual([401, 'Not authorized']);
    expect(emu.stats().byVm).toEqual({ '1': 2, '99': 1, none: 1 });
  });

  it('takes form updates, a raw body, and answers like the real server to odd ones', async () => {
    const emu = await emulator();
    const put = (body: string, contentType?: string, path = '/vm') => raw(emu, 'PUT', path, { body, ...(contentType ? { contentType } : {}) });
    expect((await put(new URLSearchParams({ type: '1', data: 'A=1\nb=two words\r\nC=' }).toString(), form)).status).toBe(200);
    expect(emu.vm(1)?.USER_TEMPLATE).toMatchObject({ A: '1', B: 'two words', C: '' });
    // Without a form content type the body is the data, merged (type from the query, default 1).
    expect((await put('D=4\nE=5', 'text/plain')).status).toBe(200);
    expect((await put('D', undefined, '/vm?type=2')).status).toBe(200);
    expect(emu.vm(1)?.USER_TEMPLATE).toMatchObject({ E: '5' });
    expect(emu.vm(1)?.USER_TEMPLATE.D).toBeUndefined();
    // A JSON body is not what OneGate reads: it fails, as it did for real clients.
    expect((await put(JSON.stringify({ type: 1, data: 'F=6' }), 'application/json')).status).toBe(500);
    expect((await put('type=2&data=NOPE', form)).body).toBe('attribute not found');
    expect((await put('type=1&data=SERVICE_ID%3D3', form)).status).toBe(403);
    expect((await put('type=2&data=role_name', form)).body).toBe('Attribute (ROLE_NAME) cannot be deleted');
    expect((await put('type=1&data=G%3D7', form, '/vms/2')).status).toBe(200);
    expect(emu.vm(2)?.USER_TEMPLATE.G).toBe('7');
    expect((await put('type=1&data=G%3D7', form, '/vms/42')).status).toBe(404);
    expect((await raw(emu, 'GET', '/vms/abc')).status).toBe(400);
  });

  it('tells listeners about updates, not about its own mutations', async () => {
    const emu = await emulator();
    const seen: string[] = [];
    const stop = emu.onUpdate((u) => seen.push(u.kind === 'set' ? `${u.vmId} set ${Object.keys(u.keys).join(',')}` : `${u.vmId} delete ${u.key}`));
    emu.onUpdate(() => {
      throw new Error('a broken listener');
    });
    const client = clientOf(emu, 3);
    await client.vmUpdate({ ONEGATE_K8S_NODE_NAME: 'oneke-ip-172-20-0-103' });
    await client.vmDeleteKey('ONEGATE_K8S_NODE_NAME');
    emu.setUserTemplate(3, 'QUIET', '1');
    stop();
    await client.vmUpdate({ LATER: '1' });
    expect(seen).toEqual(['3 set ONEGATE_K8S_NODE_NAME', '3 delete ONEGATE_K8S_NODE_NAME']);
    await expect(emu.waitForUpdate(() => true, 20, 'nothing')).rejects.toThrow(/gave up after 0.02s waiting for nothing/);
  });

  it('counts per route, and resets', async () => {
    const emu = await emulator();
    const client = clientOf(emu, 1);
    await client.vmShow();
    await client.vmShowById(2);
    await client.vmUpdate({ A: '1' });
    await client.vmUpdate({ A: '1' }, 2);
    await client.serviceShow();
    await client.serviceShowExtended();
    expect(emu.stats()).toEqual({
      total: 6,
      requests: { 'GET /vm': 1, 'GET /vms/:id': 1, 'PUT /vm': 1, 'PUT /vms/:id': 1, 'GET /service': 1, 'GET /service?extended': 1, other: 0 },
      byVm: { '1': 6 },
      responses: { '200': 6 },
      faults: { error5xx: 0, delay: 0, drop: 0, malformed: 0, notFound404: 0 },
    });
    expect(client.stats().requests).toEqual({ 'GET /vm': 1, 'GET /vms/:id': 1, 'PUT /vm': 1, 'PUT /vms/:id': 1, 'GET /service': 1, 'GET /service?extended': 1 });
    emu.resetStats();
    client.resetStats();
    expect(emu.stats().total).toBe(0);
    expect(client.stats().total).toBe(0);
  });

  it('keeps its own copy of the state', async () => {
    const emu = await emulator();
    const snap = emu.snapshot();
    snap.vms['1']!.VM.USER_TEMPLATE.X = 'changed outside';
    expect(emu.vm(1)?.USER_TEMPLATE.X).toBeUndefined();
    expect(() => emu.addVm('nope', { id: 9, ip: '1.2.3.4' })).toThrow(RangeError);
    expect(() => emu.addVm('worker', { id: 1, ip: '1.2.3.4' })).toThrow(RangeError);
  });

  it('runs from a state file and a listen address (oneke dev onegate)', async () => {
    const emu = await runEmulatorCommand({ stateFile: FIXTURE, listen: '127.0.0.1:0' });
    track(() => emu.close());
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const svc = await clientOf(emu, 0).serviceShowExtended();
    expect(svc.roles.map((r) => `${r.name}:${r.nodes.map((n) => n.vm?.nics.map((x) => x.ip).join('+')).join(',')}`)).toEqual([
      'vnf:192.168.150.100+172.20.0.100',
      'master:172.20.0.101',
      'worker:172.20.0.102',
      'storage:172.20.0.103',
    ]);
    await expect(runEmulatorCommand({ stateFile: FIXTURE, listen: 'nowhere' })).rejects.toBeInstanceOf(UsageError);
    await expect(runEmulatorCommand({ stateFile: '/nonexistent.yaml', listen: '127.0.0.1:0' })).rejects.toBeInstanceOf(ConfigError);
  });

  it('closes with requests still delayed', async () => {
    const emu = await emulator({ faults: { delayMs: { rate: 1, ms: 5_000 } } });
    const pending = clientOf(emu, 1, { retry: { attempts: 1 } })
      .vmShow()
      .catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    await emu.close();
    // Had close waited for the delayed answer, the request would have succeeded.
    expect(await pending).toBeInstanceOf(OneGateError);
  });
});

describe('snapshotClient', () => {
  it('answers from a state file like the emulator, with no network', async () => {
    const client = await snapshotClient(FIXTURE, 2);
    expect((await client.vmShow()).userTemplate.ROLE_NAME).toBe('worker');
    const svc = await client.serviceShowExtended();
    expect(svc.roles.flatMap((r) => r.nodes).map((n) => n.vm?.id)).toEqual([0, 1, 2, 3]);
    expect((await client.serviceShow()).roles[0]?.nodes[0]?.vmInfo).toBe('brief');
    expect((await client.vmShowById(1)).id).toBe(1);
    await expect(client.vmShowById(42)).rejects.toMatchObject({ status: 404 });
    await expect(snapshotClient(FIXTURE, 42)).rejects.toBeInstanceOf(ConfigError);
    await expect(snapshotClient(FIXTURE, undefined)).rejects.toBeInstanceOf(ConfigError);
  });
});
