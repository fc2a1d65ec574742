// The part of undici the agent uses, loaded by the library's own module paths: its dispatchers (Agent
// and the Pool and Client under it, EnvHttpProxyAgent), the redirect interceptor and `request`.
// `import … from 'undici'` evaluates the whole package (fetch, WebSocket, EventSource, cookies, cache
// stores, mocks) and, with it, node:http2, node:zlib and node:sqlite: measured in bench/results.md.
// The types are undici's own (src/host/undici-paths.d.ts maps the paths to them); undici 7 has no
// `exports` map, so these paths are the package's files, pinned by its version in package-lock.json.

import Agent from 'undici/lib/dispatcher/agent.js';
import Client from 'undici/lib/dispatcher/client.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import Pool from 'undici/lib/dispatcher/pool.js';
import apiRequest from 'undici/lib/api/api-request.js';
import errors from 'undici/lib/core/errors.js';
import redirect from 'undici/lib/interceptor/redirect.js';
import type { Dispatcher as DispatcherType } from 'undici';

// What undici's index.js does for the one api method the agent uses: every dispatcher gets request().
(Dispatcher.prototype as { request?: unknown }).request = apiRequest;

export { Agent, Client, Dispatcher, EnvHttpProxyAgent, errors, Pool };
export const interceptors = { redirect };

/** A request's options: undici's, with the dispatcher always named (no global one is loaded). */
export type RequestOptions = Omit<DispatcherType.RequestOptions, 'origin' | 'path' | 'method'> & {
  dispatcher: DispatcherType;
  method?: DispatcherType.HttpMethod;
};

/** One request to `url` through `options.dispatcher`: the URL's origin, its path and query; GET unless said. */
export function request(url: string | URL, options: RequestOptions): Promise<DispatcherType.ResponseData> {
  const target = typeof url === 'string' ? new URL(url) : url;
  const { dispatcher, ...rest } = options;
  return dispatcher.request({ ...rest, origin: target.origin, path: `${target.pathname}${target.search}`, method: rest.method ?? 'GET' });
}
