import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Client, EnvHttpProxyAgent, interceptors, Pool, request } from '../../../src/host/undici-core.ts';

// undici's core loaded by path answers as the package does, against a local HTTP server.

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/there?x=1' });
      res.end();
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => res.end(JSON.stringify({ url: req.url, method: req.method, body })));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('undici-core', () => {
  it('requests through an Agent, with the query kept and GET by default', async () => {
    const agent = new Agent({ connections: 1 });
    const response = await request(`${base}/a?b=c`, { dispatcher: agent });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ url: '/a?b=c', method: 'GET', body: '' });
    await agent.close();
  });

  it('takes a path beside the origin and defaults to PUT with a body, as undici does', async () => {
    const agent = new Agent();
    const put = await request(base, { path: 'p', body: 'x', dispatcher: agent } as never);
    expect(await (put as Awaited<ReturnType<typeof request>>).body.json()).toEqual({ url: '/p', method: 'PUT', body: 'x' });
    const post = await request(`${base}/q`, { method: 'POST', body: 'y', dispatcher: agent });
    expect(await post.body.json()).toEqual({ url: '/q', method: 'POST', body: 'y' });
    await agent.close();
  });

  it('uses the global dispatcher without one', async () => {
    const response = await request(`${base}/global`);
    expect(await response.body.json()).toEqual({ url: '/global', method: 'GET', body: '' });
  });

  it('follows redirects with the redirect interceptor on an EnvHttpProxyAgent', async () => {
    const dispatcher = new EnvHttpProxyAgent().compose(interceptors.redirect({ maxRedirections: 5 }));
    const response = await request(`${base}/moved`, { dispatcher });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ url: '/there?x=1', method: 'GET', body: '' });
    await dispatcher.close();
  });

  it('gives Pool and Client their request method', async () => {
    const pool = new Pool(base);
    const client = new Client(base);
    expect(await (await pool.request({ path: '/pool', method: 'GET' })).body.json()).toEqual({ url: '/pool', method: 'GET', body: '' });
    expect(await (await client.request({ path: '/client', method: 'GET' })).body.json()).toEqual({ url: '/client', method: 'GET', body: '' });
    await pool.close();
    await client.close();
  });

  it('rejects what undici rejects', () => {
    expect(() => request(base, { agent: {} } as never)).toThrow(/unsupported opts.agent/);
    expect(() => request(base, { path: 1 } as never)).toThrow(/invalid opts.path/);
    expect(() => request('' as never)).toThrow(/invalid url/);
  });
});
