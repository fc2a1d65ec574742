import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { buildVmEntry } from '../../../src/emulator/index.ts';
import { ConfigError, InternalError, OneGateError, oneLine } from '../../../src/errors.ts';
import { createOneGateClient, ONEGATE_K8S_MASTER, READY } from '../../../src/onegate/index.ts';
import { clientOf, emulator, oneKeState, recordingLogger, rejectionOf, track } from './helpers.ts';

describe('OneGate client against the emulator', () => {
  it('vmShow reads this VM with its NICs and USER_TEMPLATE', async () => {
    const emu = await emulator();
    const vm = await clientOf(emu, 0).vmShow();
    expect(vm).toMatchObject({ id: 0, name: 'vnf_0_(service_10)', state: '3', lcmState: '3', complete: true });
    expect(vm.userTemplate).toEqual({ ROLE_NAME: 'vnf', SERVICE_ID: '10' });
    expect(vm.nics).toEqual([
      { ip: '192.168.150.100', mac: '02:00:c0:a8:96:64', name: 'NIC0', network: 'public' },
      { ip: '172.20.0.100', mac: '02:00:ac:14:00:64', name: 'NIC1', network: 'private' },
    ]);
    expect(emu.stats().requests['GET /vm']).toBe(1);
    expect(emu.stats().byVm).toEqual({ '0': 1 });
  });

  it('vmShowById reads another VM of the service', async () => {
    const emu = await emulator();
    const vm = await clientOf(emu, 2).vmShowById(1);
    expect(vm.id).toBe(1);
    expect(vm.userTemplate.ROLE_NAME).toBe('master');
    expect(await clientOf(emu, 2).vmShowById('3')).toMatchObject({ id: 3 });
  });

  it('gets 400 for a VM outside the service, not retried', async () => {
    const state = oneKeState();
    state.vms['7'] = buildVmEntry(99, 'other', 0, { id: 7, ip: '10.9.9.7' });
    const emu = await emulator({ state });
    const client = clientOf(emu, 1);
    const error = await rejectionOf(client.vmShowById(7));
    expect(error).toBeInstanceOf(OneGateError);
    expect((error as OneGateError).status).toBe(400);
    expect(error.message).toMatch(/GET \/vms\/7: HTTP 400: Service 10 does not contain VM 7/);
    expect(emu.stats().total).toBe(1);
    // …and VM 7 cannot read the service either.
    expect(((await rejectionOf(clientOf(emu, 7).serviceShow())) as OneGateError).status).toBe(404);
  });

  it('gets 404 for an unknown VM, not retried', async () => {
    const emu = await emulator();
    const client = clientOf(emu, 1);
    const error = (await rejectionOf(client.vmShowById(42))) as OneGateError;
    expect(error).toBeInstanceOf(OneGateError);
    expect(error.status).toBe(404);
    expect(emu.stats().requests['GET /vms/:id']).toBe(1);
    expect(client.stats()).toMatchObject({ total: 1, retries: 0, failures: 1 });
  });

  it('gets 401 for a wrong token: exactly one request, the token in no message', async () => {
    const emu = await emulator();
    const token = 'wrong-but-secret-token-0123456789';
    const logger = recordingLogger();
    const client = clientOf(emu, 1, { token, logger });
    const error = (await rejectionOf(client.vmShow())) as OneGateError;
    expect(error).toBeInstanceOf(OneGateError);
    expect(error.status).toBe(401);
    expect(error.hint).toMatch(/TOKENTXT/);
    expect(emu.stats().total).toBe(1);
    expect(emu.stats().responses).toEqual({ '401': 1 });
    expect(client.stats().total).toBe(1);
    expect(`${error.message} ${oneLine(error)} ${JSON.stringify(logger.lines)}`).not.toContain(token);
    // The right token of another VM is still wrong for this VMID.
    const other = clientOf(emu, 1, { token: emu.tokenOf(2) ?? '' });
    expect(((await rejectionOf(other.serviceShow())) as OneGateError).status).toBe(401);
  });

  it('merges keys with type=1 and deletes one with type=2, visible afterwards', async () => {
    const emu = await emulator();
    const client = clientOf(emu, 1);
    const published = emu.waitForUpdate((u) => u.vmId === 1 && u.kind === 'set' && ONEGATE_K8S_MASTER in u.keys, 2_000, 'VM 1 to publish ONEGATE_K8S_MASTER');
    await client.vmUpdate({ [ONEGATE_K8S_MASTER]: '172.20.0.101', [READY]: 'YES', ONEKE_ERROR: 'a value with spaces = and & and +' });
    expect(await published).toMatchObject({ by: 1, route: 'PUT /vm', keys: { ONEGATE_K8S_MASTER: '172.20.0.101', READY: 'YES' } });
    expect((await client.vmShow()).userTemplate).toMatchObject({ ONEGATE_K8S_MASTER: '172.20.0.101', READY: 'YES', ONEKE_ERROR: 'a value with spaces = and & and +' });

    await client.vmDeleteKey(READY);
    expect((await client.vmShow()).userTemplate[READY]).toBeUndefined();
    // OneGate answers 500 "attribute not found" for an absent key: the key is gone, which was the point.
    await client.vmDeleteKey(READY);
    expect(emu.stats().responses['500']).toBe(1);
    expect(client.stats().retries).toBe(0);

    // The extended service shows it too.
    const svc = await clientOf(emu, 2).serviceShowExtended();
    const master = svc.roles.find((r) => r.name === 'master')?.nodes[0]?.vm;
    expect(master?.userTemplate[ONEGATE_K8S_MASTER]).toBe('172.20.0.101');
  });

  it('updates another VM with PUT /vms/<id>', async () => {
    const emu = await emulator();
    const client = clientOf(emu, 0);
    await client.vmUpdate({ ONEGATE_HAPROXY_LB0_IP: '192.168.150.86' }, 2);
    await client.vmDeleteKey('ONEGATE_HAPROXY_LB0_IP', '2');
    await client.vmUpdate({ X: '1' }, 2);
    expect(emu.vm(2)?.USER_TEMPLATE.X).toBe('1');
    expect(emu.stats().requests['PUT /vms/:id']).toBe(3);
    expect(client.stats().requests['PUT /vms/:id']).toBe(3);
  });

  it('refuses restricted keys (403, final) and invalid input before any request', async () => {
    const emu = await emulator();
    const client = clientOf(emu, 1);
    expect(((await rejectionOf(client.vmUpdate({ ROLE_NAME: 'master' }))) as OneGateError).status).toBe(403);
    expect(emu.stats().total).toBe(1);
    await expect(client.vmUpdate({ A: 'two\nlines' })).rejects.toBeInstanceOf(InternalError);
    await expect(client.vmUpdate({ 'A=B': 'x' })).rejects.toBeInstanceOf(InternalError);
    await expect(client.vmDeleteKey('A\nB')).rejects.toBeInstanceOf(InternalError);
    await expect(client.vmShowById('1; drop')).rejects.toBeInstanceOf(InternalError);
    await client.vmUpdate({});
    expect(emu.stats().total).toBe(1);
  });

  it('serviceShowExtended makes exactly one request when the server honours extended', async () => {
    const emu = await emulator();
    const client = clientOf(emu, 2);
    const svc = await client.serviceShowExtended();
    expect(emu.stats().total).toBe(1);
    expect(emu.stats().requests['GET /service?extended']).toBe(1);
    expect(client.stats()).toMatchObject({ total: 1, extendedFallback: false });
    expect(svc.id).toBe(10);
    expect(svc.roles.map((r) => r.name)).toEqual(['vnf', 'master', 'worker', 'storage']);
    const nodes = svc.roles.flatMap((r) => r.nodes);
    expect(nodes).toHaveLength(5);
    for (const node of nodes) {
      expect(node.vmInfo).toBe('full');
      expect(node.vm?.id).toBe(node.deployId);
      expect(node.vm?.nics.length).toBeGreaterThan(0);
    }
    // The extended answer holds one NIC as an object; the parser copes.
    expect(svc.roles[1]?.nodes[0]?.vm?.nics).toEqual([{ ip: '172.20.0.101', mac: '02:00:ac:14:00:65', name: 'NIC0', network: 'private' }]);
  });

  it('falls back to 1 + N requests when the server ignores extended, and remembers it', async () => {
    const emu = await emulator({ ignoreExtended: true });
    const logger = recordingLogger();
    const client = clientOf(emu, 2, { logger });
    const first = await client.serviceShowExtended();
    expect(emu.stats().requests).toMatchObject({ 'GET /service?extended': 1, 'GET /service': 0, 'GET /vms/:id': 5 });
    expect(first.roles.flatMap((r) => r.nodes).every((n) => n.vm?.complete === true)).toBe(true);
    expect(client.stats().extendedFallback).toBe(true);
    expect(logger.lines.filter((l) => l.level === 'info')).toHaveLength(1);

    emu.resetStats();
    const second = await client.serviceShowExtended();
    // Straight to the plain service and the per-VM calls: no wasted `extended` request.
    expect(emu.stats().requests).toMatchObject({ 'GET /service?extended': 0, 'GET /service': 1, 'GET /vms/:id': 5 });
    expect(second).toEqual(first);
  });

  it('asks for extended again after the reprobe interval', async () => {
    const emu = await emulator({ ignoreExtended: true });
    const client = clientOf(emu, 2, { extendedReprobeMs: 0 });
    await client.serviceShowExtended();
    emu.setIgnoreExtended(false);
    emu.resetStats();
    await client.serviceShowExtended();
    expect(emu.stats().total).toBe(1);
    expect(client.stats().extendedFallback).toBe(false);
  });

  it('tolerates vm_info null (OpenNebula issue 6406)', async () => {
    const emu = await emulator();
    emu.nodeVmInfoNull(4);
    const client = clientOf(emu, 2);
    const plain = await client.serviceShow();
    const worker = plain.roles.find((r) => r.name === 'worker');
    expect(worker?.nodes.map((n) => [n.vmId, n.vmInfo])).toEqual([
      [2, 'brief'],
      [4, 'missing'],
    ]);
    const extended = await client.serviceShowExtended();
    expect(extended.roles.find((r) => r.name === 'worker')?.nodes.map((n) => n.vm?.id)).toEqual([2, undefined]);
    expect(emu.stats().total).toBe(2);

    // An old server: the per-VM calls fill the node in from its deploy_id.
    emu.setIgnoreExtended(true);
    const filled = await clientOf(emu, 2).serviceShowExtended();
    expect(filled.roles.find((r) => r.name === 'worker')?.nodes.map((n) => n.vm?.id)).toEqual([2, 4]);
  });

  it('follows scaling: added and removed VMs show in the next answer', async () => {
    const emu = await emulator();
    const client = clientOf(emu, 1);
    emu.addVm('worker', { id: 5, ip: '172.20.0.105' });
    emu.removeVm(2);
    const svc = await client.serviceShowExtended();
    const worker = svc.roles.find((r) => r.name === 'worker');
    expect(worker?.cardinality).toBe(2);
    expect(worker?.nodes.map((n) => [n.vmId, n.vm?.nics[0]?.ip, n.vm?.name])).toEqual([
      [4, '172.20.0.104', 'worker_1_(service_10)'],
      [5, '172.20.0.105', 'worker_2_(service_10)'],
    ]);
    expect(await clientOf(emu, 5).vmShow()).toMatchObject({ id: 5, userTemplate: { ROLE_NAME: 'worker', SERVICE_ID: '10' } });
    expect(((await rejectionOf(client.vmShowById(2))) as OneGateError).status).toBe(404);
  });

  it('retries 404 on /service (OneFlow briefly away) but gives up after the attempts', async () => {
    const emu = await emulator({ faults: { notFound404: 1 } });
    const client = clientOf(emu, 1, { retry: { attempts: 3, initialMs: 1, maxMs: 2 } });
    const error = (await rejectionOf(client.serviceShow())) as OneGateError;
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/GET \/service: HTTP 404: Service 10 not found \(gave up after 3 attempts/);
    expect(emu.stats().requests['GET /service']).toBe(3);
    expect(client.stats()).toMatchObject({ retries: 2, failures: 1 });
    // 404 on /vm is final: the faults apply to /service only, and VM 42 does not exist.
    emu.resetStats();
    await rejectionOf(client.vmShowById(42));
    expect(emu.stats().total).toBe(1);
  });

  it('retries a 5xx and logs one line per retry', async () => {
    const emu = await emulator({ faults: { error5xx: 1 } });
    const logger = recordingLogger((line) => {
      if (line.obj && (line.obj as { attempt: number }).attempt === 2) emu.setFaults({});
    });
    const client = clientOf(emu, 1, { logger });
    const vm = await client.vmShow();
    expect(vm.id).toBe(1);
    expect(emu.stats().total).toBe(3);
    expect(logger.lines.map((l) => l.level)).toEqual(['debug', 'warn']);
    expect(logger.lines[0]?.msg).toMatch(/^OneGate GET \/vm failed \(HTTP 5\d\d .*\), retrying in \d+ ms$/);
    expect(logger.lines[0]?.obj).toMatchObject({ method: 'GET', path: '/vm', attempt: 1 });
    expect(JSON.stringify(logger.lines)).not.toContain(emu.tokenOf(1));
  });

  it('bounds retries by the overall deadline', async () => {
    const emu = await emulator({ faults: { error5xx: 1 } });
    const client = clientOf(emu, 1, { retry: { attempts: 1000, initialMs: 20, maxMs: 20, deadlineMs: 150 } });
    const error = (await rejectionOf(client.vmShow())) as OneGateError;
    expect(error.message).toMatch(/deadline of 150 ms/);
    expect(emu.stats().total).toBeLessThan(100);
  });

  it('times out a slow answer, retries, then fails with a OneGateError that says timeout', async () => {
    const emu = await emulator({ faults: { delayMs: { rate: 1, ms: 400 } } });
    const client = clientOf(emu, 1, { timeoutMs: 80, retry: { attempts: 3, initialMs: 1, maxMs: 2 } });
    const error = (await rejectionOf(client.vmShow())) as OneGateError;
    expect(error).toBeInstanceOf(OneGateError);
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/GET \/vm: no answer within 80 ms \(timeout\) \(gave up after 3 attempts/);
    expect(emu.stats().faults.delay).toBe(3);
    expect(client.stats()).toMatchObject({ total: 3, retries: 2 });
  });

  it('reports a refused connection after retries, without the token', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const token = 'network-failure-secret-token-abcdef';
    const logger = recordingLogger();
    const client = createOneGateClient({ endpoint: `http://127.0.0.1:${port}`, vmId: 1, token, logger, retry: { attempts: 3, initialMs: 1, maxMs: 2 } });
    track(() => client.close());
    const error = (await rejectionOf(client.serviceShowExtended())) as OneGateError;
    expect(error).toBeInstanceOf(OneGateError);
    expect(error.status).toBeUndefined();
    expect(error.message).toMatch(/OneGate GET \/service\?extended=true: cannot talk to 127\.0\.0\.1:\d+: .*ECONNREFUSED.*gave up after 3 attempts/);
    expect(client.stats().total).toBe(3);
    expect(`${error.message} ${oneLine(error)} ${String(error.cause)} ${JSON.stringify(logger.lines)}`).not.toContain(token);
  });

  it('sends the headers and a form-encoded body', async () => {
    const seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.end(req.method === 'GET' ? JSON.stringify({ VM: { ID: '7', NAME: 'x', USER_TEMPLATE: {} } }) : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    track(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const client = createOneGateClient({ endpoint: `http://127.0.0.1:${port}/onegate/`, vmId: '7', token: 'tok-ABC-0123456789' });
    track(() => client.close());
    await client.vmShow();
    await client.vmUpdate({ READY: 'YES', B: 'x y&z=1' });
    await client.vmDeleteKey('B', 8);
    expect(seen.map((s) => [s.method, s.url])).toEqual([
      ['GET', '/onegate/vm'],
      ['PUT', '/onegate/vm'],
      ['PUT', '/onegate/vms/8'],
    ]);
    for (const s of seen) {
      expect(s.headers['x-onegate-token']).toBe('tok-ABC-0123456789');
      expect(s.headers['x-onegate-vmid']).toBe('7');
    }
    expect(seen[1]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(seen[1]?.body))).toEqual({ type: '1', data: 'READY=YES\nB=x y&z=1' });
    expect(Object.fromEntries(new URLSearchParams(seen[2]?.body))).toEqual({ type: '2', data: 'B' });
  });

  it('runs many clients in one process without sharing state', async () => {
    const emu = await emulator();
    const clients = [0, 1, 2, 3, 4].map((id) => clientOf(emu, id));
    const vms = await Promise.all(clients.map((c) => c.vmShow()));
    expect(vms.map((v) => v.id)).toEqual([0, 1, 2, 3, 4]);
    await Promise.all(clients.map((c, i) => c.vmUpdate({ ME: String(i) })));
    expect([0, 1, 2, 3, 4].map((id) => emu.vm(id)?.USER_TEMPLATE.ME)).toEqual(['0', '1', '2', '3', '4']);
    expect(clients.map((c) => c.stats().total)).toEqual([2, 2, 2, 2, 2]);
    expect(emu.stats().byVm).toEqual({ '0': 2, '1': 2, '2': 2, '3': 2, '4': 2 });
  });

  it('rejects bad options with a ConfigError naming each problem, token hidden', () => {
    const token = 'line\nbreak-secret';
    try {
      createOneGateClient({ endpoint: 'ftp://x', vmId: 'abc', token, caFile: '/nonexistent/ca.pem' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(['ONEGATE_ENDPOINT', 'VMID', 'TOKENTXT', 'caFile']);
      expect((error as Error).message).not.toContain('break-secret');
    }
    expect(() => createOneGateClient({ endpoint: 'http://u:p@h:5030', vmId: 1, token: 't' })).toThrow(ConfigError);
  });
});
