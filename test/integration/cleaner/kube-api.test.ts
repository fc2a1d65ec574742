import { describe, expect, test } from 'vitest';
import { createKubeApi, KubeApiError, type KubeApi, type KubeApiOptions } from '../../../src/cleaner/kube-api.ts';
import { UsageError } from '../../../src/errors.ts';
import { NodeHost } from '../../../src/host/node-host.ts';
import { RKE2_ADMIN_CERT, RKE2_ADMIN_KEY, RKE2_SERVER_CA } from '../../../src/roles/kubernetes/paths.ts';
import { tempRoot } from '../../support/temp-root.ts';
import { startFakeKubeApi, type FakeKubeApi, type FakeKubeApiOptions } from './fake-kube-api.ts';
import { cleanerFixtures } from './fixtures.ts';

const fixtures = cleanerFixtures();
const { cleanups } = fixtures;

async function server(options: Partial<FakeKubeApiOptions> = {}): Promise<FakeKubeApi> {
  const api = await startFakeKubeApi({ pki: fixtures.pki, nodes: ['oneke-ip-10-0-0-1', 'oneke-ip-10-0-0-2', 'oneke-ip-10-0-0-3'], ...options });
  cleanups.push(() => api.close());
  return api;
}

/** A client whose certificates are read through a host rooted in a temp folder. */
async function client(api: FakeKubeApi, options: Partial<KubeApiOptions> = {}, serverCa = fixtures.pki.serverCa): Promise<KubeApi> {
  const root = await tempRoot({ [RKE2_SERVER_CA]: serverCa, [RKE2_ADMIN_CERT]: fixtures.pki.admin.cert, [RKE2_ADMIN_KEY]: fixtures.pki.admin.key });
  const kube = await createKubeApi({ host: new NodeHost(root), baseUrl: api.url, retryDelayMs: 5, ...options });
  cleanups.push(() => kube.close());
  return kube;
}

describe('Kubernetes API client', () => {
  test('lists nodes with their UID and Ready condition, across pages', async () => {
    const api = await server({ pageSize: 2 });
    api.setReady('oneke-ip-10-0-0-2', false);
    api.setReady('oneke-ip-10-0-0-3', undefined);
    const nodes = await (await client(api)).listNodes();
    expect(nodes.map((n) => [n.name, n.ready])).toEqual([
      ['oneke-ip-10-0-0-1', true],
      ['oneke-ip-10-0-0-2', false],
      ['oneke-ip-10-0-0-3', undefined],
    ]);
    expect(nodes[0]?.uid).toBe(api.node('oneke-ip-10-0-0-1')?.uid);
    expect(api.stats.lists).toBe(2);
  });

  test('delete: deleted, then gone (404), and a node re-created under the name is left alone (409)', async () => {
    const api = await server();
    const kube = await client(api);
    const [one, two] = await kube.listNodes();
    expect(await kube.deleteNode(one!.name, one!.uid)).toBe('deleted');
    expect(await kube.deleteNode(one!.name, one!.uid)).toBe('gone');
    const fresh = api.recreate(two!.name);
    expect(await kube.deleteNode(two!.name, two!.uid)).toBe('replaced');
    expect(api.node(two!.name)?.uid).toBe(fresh.uid);
    expect(api.stats).toMatchObject({ deleted: [one!.name], notFound: 1, conflicts: 1 });
    // Without a UID it deletes whatever holds the name.
    expect(await kube.deleteNode(two!.name)).toBe('deleted');
  });

  test('5xx answers are retried a couple of times, no more', async () => {
    const api = await server();
    const kube = await client(api);
    api.failNext(2, 503);
    expect(await kube.listNodes()).toHaveLength(3);
    expect(api.stats.requests).toBe(3);

    api.failNext(10, 500);
    const error = await kube.listNodes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(500);
    expect((error as KubeApiError).message).toMatch(/gave up after 3 attempts/);
    expect(api.stats.requests).toBe(6);
  });

  test('a hanging server times out', async () => {
    const api = await server();
    const kube = await client(api, { timeoutMs: 200, retries: 1 });
    api.hangNext(5);
    const error = await kube.listNodes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).message).toMatch(/no answer within 200 ms \(gave up after 2 attempts\)/);
  });

  test('a server certificate that does not chain to the server CA: final, not retried', async () => {
    const api = await server();
    const kube = await client(api, {}, fixtures.pki.clientCa);
    const error = await kube.listNodes().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).message).not.toMatch(/gave up/);
    expect(api.stats.requests).toBe(0);
  });

  test('wrong URLs and node names are refused before any request', async () => {
    const api = await server();
    const root = await tempRoot({ [RKE2_SERVER_CA]: fixtures.pki.serverCa, [RKE2_ADMIN_CERT]: fixtures.pki.admin.cert, [RKE2_ADMIN_KEY]: fixtures.pki.admin.key });
    for (const baseUrl of ['http://127.0.0.1:6443', 'not a url', 'https://u:p@127.0.0.1:6443']) {
      await expect(createKubeApi({ host: new NodeHost(root), baseUrl })).rejects.toBeInstanceOf(UsageError);
    }
    const kube = await client(api);
    await expect(kube.deleteNode('../namespaces/kube-system')).rejects.toBeInstanceOf(UsageError);
    expect(api.stats.requests).toBe(0);
  });
});
