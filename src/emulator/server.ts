// The OneGate emulator's HTTP(S) server: the routes of contract section 4 over the store, with the
// real server's quirks (any `extended` value turns it on, also in a GET form body; a raw PUT body is
// taken as `data`; errors are plain text under a JSON content type), request counters, and faults.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createFaultInjector, type FaultConfig, type FaultKind } from './faults.ts';
import type { EmulatorState } from './state.ts';
import { createEmulatorStore, type Answer, type EmulatorStore } from './store.ts';

export const EMULATOR_ROUTES = ['GET /vm', 'GET /vms/:id', 'PUT /vm', 'PUT /vms/:id', 'GET /service', 'GET /service?extended', 'other'] as const;
export type EmulatorRoute = (typeof EMULATOR_ROUTES)[number];

export interface EmulatorOptions {
  state: EmulatorState;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** PEM certificate and key: serve https. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  faults?: FaultConfig;
  /** Behave like an old OneGate: plain answers even with `extended`. */
  ignoreExtended?: boolean;
}

export interface EmulatorStats {
  /** Requests received. */
  total: number;
  requests: Record<EmulatorRoute, number>;
  /** Requests per X-ONEGATE-VMID as sent (`none` without the header). */
  byVm: Record<string, number>;
  /** Answers sent, per status code (dropped connections are not answers). */
  responses: Record<string, number>;
  faults: Record<FaultKind, number>;
}

export interface EmulatorHandle extends Omit<EmulatorStore, 'authorized' | 'getVm' | 'getService' | 'update'> {
  /** e.g. `http://127.0.0.1:41235`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  stats(): EmulatorStats;
  resetStats(): void;
  setFaults(faults: FaultConfig): void;
  setIgnoreExtended(ignore: boolean): void;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;
const UNSUPPORTED = "OneGate server doesn't support this feature";

function routeOf(method: string, path: string, extended: boolean): { route: EmulatorRoute; id?: string } {
  if (path === '/vm') return method === 'GET' ? { route: 'GET /vm' } : method === 'PUT' ? { route: 'PUT /vm' } : { route: 'other' };
  const m = /^\/vms\/([^/]+)$/.exec(path);
  if (m) {
    const id = decodeURIComponent(m[1] ?? '');
    if (method === 'GET') return { route: 'GET /vms/:id', id };
    if (method === 'PUT') return { route: 'PUT /vms/:id', id };
    return { route: 'other' };
  }
  if (path === '/service' && method === 'GET') return { route: extended ? 'GET /service?extended' : 'GET /service' };
  return { route: 'other' };
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

const isForm = (req: IncomingMessage): boolean => (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');

export async function startEmulator(options: EmulatorOptions): Promise<EmulatorHandle> {
  const store = createEmulatorStore(options.state);
  const faults = createFaultInjector(options.faults ?? {});
  let ignoreExtended = options.ignoreExtended ?? false;
  const host = options.host ?? '127.0.0.1';

  const fresh = () => ({
    total: 0,
    requests: Object.fromEntries(EMULATOR_ROUTES.map((r) => [r, 0])) as Record<EmulatorRoute, number>,
    byVm: {} as Record<string, number>,
    responses: {} as Record<string, number>,
  });
  let counters = fresh();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  function send(res: ServerResponse, answer: Answer): void {
    if (res.destroyed || res.writableEnded) return;
    counters.responses[String(answer.status)] = (counters.responses[String(answer.status)] ?? 0) + 1;
    // Like Sinatra's `before` filter in OneGate: JSON content type even for plain-text errors.
    res.writeHead(answer.status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(answer.body) });
    res.end(answer.body);
  }

  function handle(req: IncomingMessage, route: EmulatorRoute, id: string | undefined, params: URLSearchParams, body: string): Answer {
    if (route === 'other') return { status: 400, body: UNSUPPORTED };
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const source = store.authorized(header('x-onegate-vmid'), header('x-onegate-token'));
    if (source === undefined) return { status: 401, body: 'Not authorized' };

    let target = source;
    if (id !== undefined) {
      if (!/^\d{1,15}$/.test(id)) return { status: 400, body: `Invalid VM ID ${JSON.stringify(id.slice(0, 20))}` };
      target = Number(id);
    }
    switch (route) {
      case 'GET /vm':
      case 'GET /vms/:id':
        return store.getVm(source, target);
      case 'GET /service':
      case 'GET /service?extended':
        return store.getService(source, route === 'GET /service?extended' && !ignoreExtended);
      case 'PUT /vm':
      case 'PUT /vms/:id': {
        // Form params `data` and `type` (query ones too, as Sinatra merges them); without a form
        // body the raw body is the data, as the real server accepts.
        const data = params.get('data') ?? (isForm(req) ? '' : body);
        const typeText = params.get('type');
        const type = typeText === null ? 1 : Number.parseInt(typeText, 10);
        return store.update(source, target, route, Number.isNaN(type) ? 0 : type, data);
      }
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const body = await readBody(req);
    const params = new URLSearchParams(url.search);
    if (body !== undefined && isForm(req)) {
      for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
    }
    const method = req.method ?? 'GET';
    // Any value of `extended`, even empty or "false", turns it on (Ruby truthiness in the server).
    const { route, id } = routeOf(method, url.pathname, params.has('extended'));
    counters.total += 1;
    counters.requests[route] += 1;
    const vmHeader = req.headers['x-onegate-vmid'];
    const vmKey = (Array.isArray(vmHeader) ? vmHeader[0] : vmHeader) ?? 'none';
    counters.byVm[vmKey] = (counters.byVm[vmKey] ?? 0) + 1;
    if (body === undefined) return send(res, { status: 413, body: 'Request body too large' });

    const decision = route === 'other' ? { delayMs: 0 } : faults.decide({ isService: route.startsWith('GET /service'), isGet: method === 'GET' });
    if (decision.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, decision.delayMs);
        timers.add(timer);
      });
    }
    const fault = decision.terminal;
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'error5xx') return send(res, { status: fault.status, body: fault.status === 500 ? 'Internal server error' : `HTTP ${fault.status} from the proxy` });
    if (fault?.kind === 'notFound404') return send(res, { status: 404, body: `Service ${store.serviceId} not found` });
    if (fault?.kind === 'malformed') return send(res, { status: 200, body: fault.body });
    // A delayed request is handled even if its client gave up: a real server would do the update too.
    send(res, handle(req, route, id, params, body));
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    onRequest(req, res).catch(() => {
      // A bug in the emulator: answer 500 rather than leave the client hanging.
      send(res, { status: 500, body: 'emulator error' });
    });
  };
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createHttpServer(listener);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // An https server sees the TLS socket on secureConnection; track the raw one above, that is enough.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const { authorized: _a, getVm: _g, getService: _s, update: _u, ...mutators } = store;

  let closing: Promise<void> | undefined;
  return {
    ...mutators,
    url: `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    host,
    port,
    stats: () => ({
      total: counters.total,
      requests: { ...counters.requests },
      byVm: { ...counters.byVm },
      responses: { ...counters.responses },
      faults: faults.counts(),
    }),
    resetStats() {
      counters = fresh();
      faults.resetCounts();
    },
    setFaults: (config) => faults.set(config),
    setIgnoreExtended(ignore) {
      ignoreExtended = ignore;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
