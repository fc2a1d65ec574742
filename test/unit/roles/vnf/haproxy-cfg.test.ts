import { describe, expect, test } from 'vitest';
import { InternalError } from '../../../../src/errors.ts';
import { type HaproxyInput, type LoadBalancer, loadBalancerName, normaliseServers, renderHaproxyCfg } from '../../../../src/roles/vnf/haproxy-cfg.ts';

/** A OneKE VNF as it looks with 3 masters and 2 workers. */
const onekeLoadBalancers: LoadBalancer[] = [
  {
    index: 0,
    ip: '10.0.0.10',
    port: 9345,
    servers: [
      { host: '172.20.0.12', port: 9345, checkPort: 6443 },
      { host: '172.20.0.2', port: 9345, checkPort: 6443 },
      { host: '172.20.0.11', port: 9345, checkPort: 6443 },
    ],
  },
  {
    index: 1,
    ip: '10.0.0.10',
    port: 6443,
    servers: [
      { host: '172.20.0.11', port: 6443 },
      { host: '172.20.0.2', port: 6443 },
      { host: '172.20.0.12', port: 6443 },
    ],
  },
  {
    index: 2,
    ip: '10.0.0.10',
    port: 443,
    servers: [
      { host: '172.20.0.21', port: 32443 },
      { host: '172.20.0.20', port: 32443 },
    ],
  },
  { index: 3, ip: '10.0.0.10', port: 80, servers: [] },
];

/** The lines of the section that starts with `header`, up to the next blank line. */
function section(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(header);
  if (start === -1) throw new Error(`no section ${header}`);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end === -1 ? undefined : end).map((line) => line.trim());
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('renderHaproxyCfg', () => {
  test('a OneKE VNF: a frontend and a round-robin backend per LB, servers sorted', async () => {
    const text = renderHaproxyCfg({ loadBalancers: onekeLoadBalancers, global: { user: 'haproxy', group: 'haproxy' } });
    await expect(text).toMatchFileSnapshot('./__snapshots__/haproxy-oneke.cfg');

    expect(section(text, 'frontend lb0_9345')).toEqual(['bind 10.0.0.10:9345', 'default_backend lb0_9345']);
    expect(section(text, 'backend lb0_9345')).toEqual([
      'balance roundrobin',
      'option tcp-check',
      'server 172.20.0.2:9345 172.20.0.2:9345 check port 6443',
      'server 172.20.0.11:9345 172.20.0.11:9345 check port 6443',
      'server 172.20.0.12:9345 172.20.0.12:9345 check port 6443',
    ]);
    expect(section(text, 'backend lb1_6443')).toEqual([
      'balance roundrobin',
      'option tcp-check',
      'server 172.20.0.2:6443 172.20.0.2:6443 check',
      'server 172.20.0.11:6443 172.20.0.11:6443 check',
      'server 172.20.0.12:6443 172.20.0.12:6443 check',
    ]);
    // An LB without servers keeps its frontend and gets an empty backend.
    expect(section(text, 'frontend lb3_80')).toEqual(['bind 10.0.0.10:80', 'default_backend lb3_80']);
    expect(section(text, 'backend lb3_80')).toEqual(['balance roundrobin', 'option tcp-check']);
  });

  test('global and defaults: stdout logging, short connect, long idle timeouts', () => {
    const text = renderHaproxyCfg({ loadBalancers: onekeLoadBalancers });
    expect(section(text, 'global')).toEqual(['log stdout format raw local0 notice', 'hard-stop-after 900s']);
    const defaults = section(text, 'defaults');
    expect(defaults).toEqual(expect.arrayContaining(['mode tcp', 'timeout connect 5s', 'timeout client 1h', 'timeout server 1h', 'timeout tunnel 1h', 'option redispatch 1']));
    expect(defaults.find((line) => line.startsWith('default-server'))).toContain('on-marked-down shutdown-sessions');
    expect(text).not.toMatch(/syslog|\/dev\/log|daemon\n/);
  });

  test('the same servers in any order, with duplicates and other spellings, render the same text', () => {
    const reference = renderHaproxyCfg({ loadBalancers: onekeLoadBalancers });
    for (const seed of [1, 2, 3, 4, 5]) {
      const lbs = shuffled(onekeLoadBalancers, seed).map((lb) => ({
        ...lb,
        servers: shuffled([...lb.servers, ...lb.servers.slice(0, 1)], seed + 10),
      }));
      expect(renderHaproxyCfg({ loadBalancers: lbs })).toBe(reference);
    }
  });

  test('IPv6 binds and servers are bracketed; names lower-cased; server names are host:port', () => {
    const text = renderHaproxyCfg({
      loadBalancers: [
        {
          index: 1,
          ip: 'FD00::10',
          port: 6443,
          servers: [
            { host: 'Master-1.Example.com', port: 6443 },
            { host: 'fd00:0::2', port: 6443 },
            { host: '10.0.0.2', port: 6443 },
          ],
        },
      ],
    });
    expect(section(text, 'frontend lb1_6443')).toEqual(['bind [fd00::10]:6443', 'default_backend lb1_6443']);
    expect(section(text, 'backend lb1_6443').slice(2)).toEqual([
      'server 10.0.0.2:6443 10.0.0.2:6443 check',
      'server fd00::2:6443 [fd00::2]:6443 check',
      'server master-1.example.com:6443 master-1.example.com:6443 check',
    ]);
  });

  test('stats socket and page, log level, maxconn', async () => {
    const input: HaproxyInput = {
      loadBalancers: onekeLoadBalancers.slice(0, 1),
      stats: { socket: '/run/haproxy/admin.sock', http: { ip: '127.0.0.1', port: 8404 } },
      global: { logLevel: 'info', maxconn: 4096, hardStopAfterSeconds: 60 },
    };
    const text = renderHaproxyCfg(input);
    await expect(text).toMatchFileSnapshot('./__snapshots__/haproxy-stats.cfg');
    expect(section(text, 'global')).toEqual(['log stdout format raw local0 info', 'maxconn 4096', 'hard-stop-after 60s', 'stats socket /run/haproxy/admin.sock mode 600 level admin']);
    expect(section(text, 'frontend stats')).toContain('bind 127.0.0.1:8404');
  });

  test.each<[string, HaproxyInput]>([
    ['a bind address that is a name', { loadBalancers: [{ index: 0, ip: 'vip.example', port: 80, servers: [] }] }],
    ['an unresolved placeholder', { loadBalancers: [{ index: 0, ip: '<ETH0_VIP0>', port: 80, servers: [] }] }],
    ['port 0', { loadBalancers: [{ index: 0, ip: '10.0.0.1', port: 0, servers: [] }] }],
    ['port 65536', { loadBalancers: [{ index: 0, ip: '10.0.0.1', port: 65536, servers: [] }] }],
    ['a negative index', { loadBalancers: [{ index: -1, ip: '10.0.0.1', port: 80, servers: [] }] }],
    ['a server host with a space', { loadBalancers: [{ index: 0, ip: '10.0.0.1', port: 80, servers: [{ host: 'a b', port: 80 }] }] }],
    ['a server host with a newline', { loadBalancers: [{ index: 0, ip: '10.0.0.1', port: 80, servers: [{ host: 'a\nbind *:22', port: 80 }] }] }],
    ['a server port of 0', { loadBalancers: [{ index: 0, ip: '10.0.0.1', port: 80, servers: [{ host: '10.0.0.2', port: 0 }] }] }],
    ['a check port of 70000', { loadBalancers: [{ index: 0, ip: '10.0.0.1', port: 80, servers: [{ host: '10.0.0.2', port: 80, checkPort: 70000 }] }] }],
    [
      'one server with two check ports',
      {
        loadBalancers: [
          {
            index: 0,
            ip: '10.0.0.1',
            port: 80,
            servers: [
              { host: '10.0.0.2', port: 80, checkPort: 81 },
              { host: '10.0.0.2', port: 80 },
            ],
          },
        ],
      },
    ],
    [
      'two LBs on one address and port',
      {
        loadBalancers: [
          { index: 0, ip: '10.0.0.1', port: 80, servers: [] },
          { index: 1, ip: '10.0.0.1', port: 80, servers: [] },
        ],
      },
    ],
    ['the stats page on an LB address', { loadBalancers: [{ index: 0, ip: '10.0.0.1', port: 80, servers: [] }], stats: { http: { ip: '10.0.0.1', port: 80 } } }],
    [
      'one LB index and port twice',
      {
        loadBalancers: [
          { index: 0, ip: '10.0.0.1', port: 80, servers: [] },
          { index: 0, ip: '10.0.0.2', port: 80, servers: [] },
        ],
      },
    ],
    ['a stats socket path with a space', { loadBalancers: onekeLoadBalancers, stats: { socket: '/run/my sock' } }],
    ['a user with a space', { loadBalancers: onekeLoadBalancers, global: { user: 'ha proxy' } }],
    // HAProxy refuses to start without a listener (`haproxy -c` exits 2).
    ['nothing to listen on', { loadBalancers: [], stats: { socket: '/run/haproxy/admin.sock' } }],
  ])('refuses %s with an internal error', (_title, input) => {
    expect(() => renderHaproxyCfg(input)).toThrow(InternalError);
  });
});

test('a stats page alone is something to listen on', () => {
  expect(renderHaproxyCfg({ loadBalancers: [], stats: { http: { ip: '127.0.0.1', port: 8404 } } })).toContain('frontend stats');
});

describe('helpers', () => {
  test('loadBalancerName', () => {
    expect(loadBalancerName({ index: 2, port: 443 })).toBe('lb2_443');
  });

  test('normaliseServers sorts, canonicalises and drops exact duplicates', () => {
    expect(
      normaliseServers([
        { host: '10.0.0.10', port: 80 },
        { host: 'FD00::1', port: 80 },
        { host: '10.0.0.9', port: 81 },
        { host: '10.0.0.9', port: 80 },
        { host: 'fd00:0::1', port: 80 },
      ]),
    ).toEqual([
      { host: '10.0.0.9', port: 80, checkPort: undefined },
      { host: '10.0.0.9', port: 81, checkPort: undefined },
      { host: '10.0.0.10', port: 80, checkPort: undefined },
      { host: 'fd00::1', port: 80, checkPort: undefined },
    ]);
  });
});
