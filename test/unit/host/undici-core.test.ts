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

  it('sends the method, headers and body it is given', async () => {
    const agent = new Agent();
    const post = await request(`${base}/q`, { method: 'POST', body: 'y', headers: { 'content-type': 'text/plain' }, dispatcher: agent });
    expect(await post.body.json()).toEqual({ url: '/q', method: 'POST', body: 'y' });
    await agent.close();
  });

  it('takes a URL object as well as its text', async () => {
    const agent = new Agent();
    const response = await request(new URL(`${base}/u?v=w`), { dispatcher: agent });
    expect(await response.body.json()).toEqual({ url: '/u?v=w', method: 'GET', body: '' });
    await agent.close();
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

  it('refuses what is not a URL before any connection', () => {
    const agent = new Agent();
    expect(() => request('not a url', { dispatcher: agent })).toThrow(TypeError);
    void agent.close();
  });
});
