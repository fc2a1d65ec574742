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
import util from 'undici/lib/core/util.js';
import { getGlobalDispatcher } from 'undici/lib/global.js';
import redirect from 'undici/lib/interceptor/redirect.js';
import type { request as requestType } from 'undici';

// As undici's index.js does for `request` (the other api methods stay unloaded): dispatcher.request().
(Dispatcher.prototype as { request?: unknown }).request = apiRequest;

export { Agent, Client, Dispatcher, EnvHttpProxyAgent, errors, Pool };
export const interceptors = { redirect };

/** undici's `request(url, options)`: the same checks and defaults as its index.js (makeDispatcher). */
export const request = ((url: unknown, opts?: Record<string, unknown> | null, handler?: unknown) => {
  if (typeof opts === 'function') {
    handler = opts;
    opts = null;
  }
  if (!url || (typeof url !== 'string' && typeof url !== 'object' && !(url instanceof URL))) {
    throw new errors.InvalidArgumentError('invalid url');
  }
  if (opts != null && typeof opts !== 'object') {
    throw new errors.InvalidArgumentError('invalid opts');
  }
  let parsed: URL;
  if (opts && opts.path != null) {
    if (typeof opts.path !== 'string') {
      throw new errors.InvalidArgumentError('invalid opts.path');
    }
    const path = opts.path.startsWith('/') ? opts.path : `/${opts.path}`;
    parsed = new URL(util.parseOrigin(url).origin + path);
  } else {
    if (!opts) {
      opts = typeof url === 'object' ? (url as Record<string, unknown>) : {};
    }
    parsed = util.parseURL(url);
  }
  const { agent, dispatcher = getGlobalDispatcher() } = opts as { agent?: unknown; dispatcher?: Dispatcher };
  if (agent) {
    throw new errors.InvalidArgumentError('unsupported opts.agent. Did you mean opts.client?');
  }
  return apiRequest.call(
    dispatcher,
    { ...opts, origin: parsed.origin, path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname, method: opts.method || (opts.body ? 'PUT' : 'GET') },
    handler,
  );
}) as unknown as typeof requestType;
