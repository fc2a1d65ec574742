// haproxy.cfg for the VNF role (contract section 7): per load balancer a TCP frontend on ip:port and a
// round-robin backend whose servers are health-checked by TCP connect.
//
// Decisions, and why:
// - The same set of servers always renders the same text (servers sorted, load balancers sorted),
//   because the VNF reloads HAProxy only when the text changes.
// - Timeouts: `connect 5s` so a dead server is skipped fast (with `retries` and `redispatch` the
//   retry goes to another server). Idle timeouts of 1 hour in both directions: the Kubernetes API
//   ends a watch by itself after 30 to 60 minutes (--min-request-timeout 1800 s, randomised up to
//   twice that), so a healthy watch is never cut by HAProxy; TCP keep-alives find peers that died
//   without a FIN long before that.
// - `on-marked-down shutdown-sessions`: when a master fails its checks, its clients are cut at once
//   and reconnect through a live server, instead of hanging until a timeout.
// - `hard-stop-after`: each reload leaves the old process serving its open connections; this bounds
//   how long it may linger.
// - Logs go to stdout (journald under systemd, the console in tests): no syslog socket needed.
// - `init-addr last,libc,none`: a server given by a name that does not resolve is started disabled
//   instead of stopping HAProxy from starting.
// - At least one frontend: HAProxy will not start without a listener.
// - An LB with no servers still gets its frontend and an empty backend (valid for HAProxy 2.6): the
//   port is bound and refuses connections until a server appears.

import { InternalError } from '../../errors.ts';
import { canonicalHost, parseIp } from '../../net/address.ts';
import { compareHosts, hostPort } from '../../render/addresses.ts';
import { assertIntegerIn } from '../../render/names.ts';

export interface HaproxyServer {
  /** An IPv4/IPv6 address or a DNS name. */
  readonly host: string;
  readonly port: number;
  /** Health-check this port instead of `port` (LB0: the supervisor is probed on 6443). */
  readonly checkPort?: number | undefined;
}

export interface LoadBalancer {
  /** The LB index (0 supervisor, 1 Kubernetes API, 2 HTTPS ingress, 3 HTTP ingress, …). */
  readonly index: number;
  /** The address to bind, already resolved (no placeholders). */
  readonly ip: string;
  readonly port: number;
  readonly servers: readonly HaproxyServer[];
}

export type HaproxyLogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'notice' | 'info' | 'debug';

export interface HaproxyInput {
  readonly loadBalancers: readonly LoadBalancer[];
  readonly stats?:
    | {
        /** Path of the runtime API socket (`level admin`, mode 0600), e.g. /run/haproxy/admin.sock. */
        readonly socket?: string | undefined;
        /** An HTTP stats page at http://ip:port/. */
        readonly http?: { readonly ip: string; readonly port: number } | undefined;
      }
    | undefined;
  readonly global?:
    | {
        /** Default `notice`: server state changes, not every connection. */
        readonly logLevel?: HaproxyLogLevel | undefined;
        readonly maxconn?: number | undefined;
        /** Drop privileges to this user and group after binding (the VNF uses `haproxy`). */
        readonly user?: string | undefined;
        readonly group?: string | undefined;
        /** Default 900 (15 minutes). */
        readonly hardStopAfterSeconds?: number | undefined;
      }
    | undefined;
}

const LOG_LEVELS: readonly string[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const SAFE_PATH = /^\/[A-Za-z0-9_./@-]*$/;
const SAFE_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const DEFAULT_HARD_STOP_AFTER = 900;

/** The frontend (and backend) name of a load balancer: `lb<index>_<port>`. */
export function loadBalancerName(lb: Pick<LoadBalancer, 'index' | 'port'>): string {
  return `lb${lb.index}_${lb.port}`;
}

interface CheckedServer {
  readonly host: string;
  readonly port: number;
  readonly checkPort: number | undefined;
}

function checkServer(server: HaproxyServer, what: string): CheckedServer {
  const host = canonicalHost(server.host);
  if (host === undefined) throw new InternalError(`${what}: server host ${JSON.stringify(server.host)} is neither an address nor a DNS name`);
  assertIntegerIn(server.port, 1, 65535, `${what} server ${host} port`);
  if (server.checkPort !== undefined) assertIntegerIn(server.checkPort, 1, 65535, `${what} server ${host} check port`);
  return { host, port: server.port, checkPort: server.checkPort };
}

function compareServers(a: { host: string; port: number }, b: { host: string; port: number }): number {
  return compareHosts(a.host, b.host) || a.port - b.port;
}

/**
 * The servers in canonical form, sorted and without exact duplicates; two entries for the same
 * host:port that differ in check port are a bug upstream.
 */
export function normaliseServers(servers: readonly HaproxyServer[], what = 'load balancer'): CheckedServer[] {
  const byKey = new Map<string, CheckedServer>();
  for (const raw of servers) {
    const server = checkServer(raw, what);
    const key = hostPort(server.host, server.port);
    const known = byKey.get(key);
    if (known !== undefined && known.checkPort !== server.checkPort) {
      throw new InternalError(`${what}: server ${key} is listed with different check ports`);
    }
    byKey.set(key, server);
  }
  return [...byKey.values()].sort(compareServers);
}

function bindAddress(ip: string, port: number, what: string): string {
  const parsed = parseIp(ip);
  if (parsed === undefined) throw new InternalError(`${what}: bind address ${JSON.stringify(ip)} is not an IP address`);
  assertIntegerIn(port, 1, 65535, `${what} port`);
  return hostPort(parsed.address, port);
}

function renderLoadBalancer(lb: LoadBalancer): string[] {
  const name = loadBalancerName(lb);
  const bind = bindAddress(lb.ip, lb.port, `frontend ${name}`);
  const lines = [`frontend ${name}`, `    bind ${bind}`, `    default_backend ${name}`, '', `backend ${name}`, '    balance roundrobin', '    option tcp-check'];
  for (const server of normaliseServers(lb.servers, `backend ${name}`)) {
    const address = hostPort(server.host, server.port);
    // The address is also the server's name: unique within the backend and readable in the logs.
    const check = server.checkPort === undefined ? 'check' : `check port ${server.checkPort}`;
    lines.push(`    server ${address.replace(/[[\]]/g, '')} ${address} ${check}`);
  }
  return lines;
}

/** Renders haproxy.cfg; throws InternalError on input that no valid configuration could hold. */
export function renderHaproxyCfg(input: HaproxyInput): string {
  const global = input.global ?? {};
  const logLevel = global.logLevel ?? 'notice';
  if (!LOG_LEVELS.includes(logLevel)) throw new InternalError(`HAProxy log level ${JSON.stringify(logLevel)} is unknown`);
  const hardStop = assertIntegerIn(global.hardStopAfterSeconds ?? DEFAULT_HARD_STOP_AFTER, 1, 86400, 'hard-stop-after');

  const lines = ['# Written by oneke (VNF role). Local changes are overwritten.', '', 'global', `    log stdout format raw local0 ${logLevel}`];
  if (global.maxconn !== undefined) lines.push(`    maxconn ${assertIntegerIn(global.maxconn, 1, 10_000_000, 'maxconn')}`);
  for (const [key, value] of [
    ['user', global.user],
    ['group', global.group],
  ] as const) {
    if (value === undefined) continue;
    if (!SAFE_USER.test(value)) throw new InternalError(`HAProxy ${key} ${JSON.stringify(value)} is not a plain account name`);
    lines.push(`    ${key} ${value}`);
  }
  lines.push(`    hard-stop-after ${hardStop}s`);
  const socket = input.stats?.socket;
  if (socket !== undefined) {
    if (!SAFE_PATH.test(socket)) throw new InternalError(`HAProxy stats socket ${JSON.stringify(socket)} is not a plain absolute path`);
    lines.push(`    stats socket ${socket} mode 600 level admin`);
  }

  lines.push(
    '',
    'defaults',
    '    mode tcp',
    '    log global',
    '    option tcplog',
    '    option dontlognull',
    '    option clitcpka',
    '    option srvtcpka',
    '    option redispatch 1',
    '    retries 2',
    '    timeout connect 5s',
    '    timeout client 1h',
    '    timeout server 1h',
    '    timeout tunnel 1h',
    '    timeout client-fin 30s',
    '    timeout server-fin 30s',
    '    timeout check 5s',
    '    default-server inter 2s fall 3 rise 2 init-addr last,libc,none on-marked-down shutdown-sessions',
  );

  const binds = new Set<string>();
  const http = input.stats?.http;
  if (http !== undefined) {
    const bind = bindAddress(http.ip, http.port, 'frontend stats');
    binds.add(bind);
    lines.push('', 'frontend stats', `    bind ${bind}`, '    mode http', '    option dontlog-normal', '    timeout client 30s', '    stats enable', '    stats uri /', '    stats refresh 10s');
  }

  const sorted = [...input.loadBalancers].sort((a, b) => a.index - b.index || a.port - b.port);
  const names = new Set<string>();
  for (const lb of sorted) {
    assertIntegerIn(lb.index, 0, 999_999, 'load balancer index');
    const name = loadBalancerName(lb);
    if (names.has(name)) throw new InternalError(`load balancer ${name} is defined twice`);
    names.add(name);
    const bind = bindAddress(lb.ip, lb.port, `frontend ${name}`);
    // Two frontends on one address and port would make HAProxy fail at start, not at `haproxy -c`.
    if (binds.has(bind)) throw new InternalError(`two frontends bind ${bind}`);
    binds.add(bind);
    lines.push('', ...renderLoadBalancer(lb));
  }
  if (binds.size === 0) {
    // HAProxy refuses to start without a listener (`haproxy -c` exits 2); the caller should not run it.
    throw new InternalError('no load balancer and no stats page: HAProxy would have nothing to listen on');
  }
  return `${lines.join('\n')}\n`;
}
