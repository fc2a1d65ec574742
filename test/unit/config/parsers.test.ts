import { describe, expect, it } from 'vitest';
import * as parsers from '../../../src/config/parsers.ts';
import type { ValueParser } from '../../../src/config/parsers.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

interface Case {
  parser: string;
  accept: [string, unknown][];
  reject: string[];
}

/** For every parser: values it takes (with what it returns) and values it refuses. */
const CASES: Case[] = [
  {
    parser: 'nonNegativeInteger',
    accept: [
      ['0', 0],
      ['7', 7],
      ['9007199254740991', 9007199254740991],
    ],
    reject: ['-1', '01', '1.0', '1e3', '0x10', ' 1', 'one', '9007199254740992', ''],
  },
  {
    parser: 'port',
    accept: [
      ['1', 1],
      ['80', 80],
      ['65535', 65535],
    ],
    reject: ['0', '65536', '080', '-80', '80a', '8 0', '+80', ''],
  },
  {
    parser: 'vrid',
    accept: [
      ['1', 1],
      ['255', 255],
    ],
    reject: ['0', '256', '01', 'x'],
  },
  {
    parser: 'priority',
    accept: [
      ['1', 1],
      ['100', 100],
      ['254', 254],
    ],
    reject: ['0', '255', '-1', '1.5'],
  },
  {
    parser: 'refreshRate',
    accept: [
      ['1', 1],
      ['30', 30],
      ['86400', 86400],
    ],
    reject: ['0', '86401', '1.5', '30s'],
  },
  {
    parser: 'advertInterval',
    accept: [
      ['1', 1],
      ['0.5', 0.5],
      ['0.01', 0.01],
      ['2.25', 2.25],
      ['255', 255],
    ],
    reject: ['0', '0.0', '0.001', '256', '-1', '.5', '1.', '1,5', 'fast'],
  },
  {
    parser: 'boolean',
    accept: [
      ['YES', true],
      ['yes', true],
      ['Yes', true],
      ['1', true],
      ['TRUE', true],
      ['true', true],
      ['NO', false],
      ['no', false],
      ['0', false],
      ['False', false],
    ],
    reject: ['Y', 'N', 'anything', 'maybe', 'yes please', '2', '00', 'ja'],
  },
  {
    parser: 'ipv4',
    accept: [
      ['10.0.0.1', '10.0.0.1'],
      ['0.0.0.0', '0.0.0.0'],
      ['255.255.255.255', '255.255.255.255'],
      ['192.168.1.10', '192.168.1.10'],
    ],
    reject: ['010.0.0.1', '10.0.0.01', '10.0.0', '10.0.0.256', '10.0.0.1/24', '10.0.0.1 ', 'a.b.c.d', '::1', '1.2.3.4.5', ''],
  },
  {
    parser: 'ipv4WithPrefix',
    accept: [
      ['10.0.0.1', { address: '10.0.0.1', prefixLength: undefined }],
      ['10.0.0.1/24', { address: '10.0.0.1', prefixLength: 24 }],
      ['10.0.0.1/0', { address: '10.0.0.1', prefixLength: 0 }],
    ],
    reject: ['10.0.0.1/33', '10.0.0.1/', '10.0.0.1/024', '10.0.0.1/24/1', 'vip'],
  },
  {
    parser: 'lbAddress',
    accept: [
      ['10.0.0.1', '10.0.0.1'],
      ['<ETH0_EP0>', '<ETH0_EP0>'],
      ['<ETH1_VIP2>', '<ETH1_VIP2>'],
      ['<ETH10_IP0>', '<ETH10_IP0>'],
    ],
    reject: ['<ETH0_XX0>', '<eth0_ep0>', 'ETH0_EP0', 'lb.example.com', '<ETH01_EP0>'],
  },
  {
    parser: 'serverHost',
    accept: [
      ['10.0.0.1', '10.0.0.1'],
      ['node-1.example.com', 'node-1.example.com'],
      ['<ETH1_IP0>', '<ETH1_IP0>'],
      ['localhost', 'localhost'],
    ],
    reject: ['10.0.0.256', '-bad.example.com', 'under_score', 'a..b', '10.0.0.1:80', ''],
  },
  {
    parser: 'macAddress',
    accept: [
      ['02:00:0a:00:00:02', '02:00:0a:00:00:02'],
      ['02:00:0A:00:00:FF', '02:00:0a:00:00:ff'],
    ],
    reject: ['02:00:0a:00:00', '02-00-0a-00-00-02', '0200.0a00.0002', 'zz:00:0a:00:00:02'],
  },
  {
    parser: 'netmask',
    accept: [
      ['255.255.255.0', { mask: '255.255.255.0', prefixLength: 24 }],
      ['255.255.0.0', { mask: '255.255.0.0', prefixLength: 16 }],
      ['255.255.255.255', { mask: '255.255.255.255', prefixLength: 32 }],
      ['0.0.0.0', { mask: '0.0.0.0', prefixLength: 0 }],
      ['255.255.255.252', { mask: '255.255.255.252', prefixLength: 30 }],
    ],
    reject: ['255.0.255.0', '255.255.255.1', '24', '/24', '255.255.256.0'],
  },
  {
    parser: 'nameservers',
    accept: [
      ['1.1.1.1', ['1.1.1.1']],
      ['1.1.1.1 8.8.8.8', ['1.1.1.1', '8.8.8.8']],
      ['1.1.1.1,2001:4860:4860::8888', ['1.1.1.1', '2001:4860:4860::8888']],
    ],
    reject: ['dns.example.com', '1.1.1', '1.1.1.1;8.8.8.8'],
  },
  {
    parser: 'ipv4Cidr',
    accept: [
      ['10.42.0.0/16', '10.42.0.0/16'],
      ['0.0.0.0/0', '0.0.0.0/0'],
      ['10.42.0.1/16', '10.42.0.1/16'],
      ['192.168.0.0/32', '192.168.0.0/32'],
    ],
    reject: ['10.42.0.0', '10.42.0.0/33', '10.42.0.0/016', 'fd00::/8', '10.42.0.0/16,10.43.0.0/16', '10.42/16'],
  },
  {
    parser: 'cidrList',
    accept: [
      ['10.11.12.0/24', ['10.11.12.0/24']],
      ['10.11.12.0/24, 10.11.0.0/16', ['10.11.12.0/24', '10.11.0.0/16']],
      ['fd00:10::/64', ['fd00:10::/64']],
      ['2001:db8::/32,10.0.0.0/8', ['2001:db8::/32', '10.0.0.0/8']],
    ],
    reject: ['10.11.12.0', '10.11.12.0/', 'asd.11.12.0/24', '10.11.12.0/asd', 'fd00::/129', 'fe80::1%eth0/64'],
  },
  {
    parser: 'addressRanges',
    accept: [
      ['10.11.12.13', [{ first: '10.11.12.13', last: '10.11.12.13' }]],
      ['10.11.12.13-10.11.12.31', [{ first: '10.11.12.13', last: '10.11.12.31' }]],
      ['10.11.12.13 - 10.11.12.31', [{ first: '10.11.12.13', last: '10.11.12.31' }]],
      ['10.0.0.1-10.0.0.1', [{ first: '10.0.0.1', last: '10.0.0.1' }]],
      [
        '10.0.0.1-10.0.0.9, 10.0.1.5',
        [
          { first: '10.0.0.1', last: '10.0.0.9' },
          { first: '10.0.1.5', last: '10.0.1.5' },
        ],
      ],
      ['10.0.0.250-10.0.1.2', [{ first: '10.0.0.250', last: '10.0.1.2' }]],
    ],
    reject: ['-10.11.12.13', '10.11.12.13-', 'asd.11.12.13-10.11.12.31', '10.11.12.13-10.11.12.31-10.11.12.123', '10.0.0.9-10.0.0.1', '10.0.0.0/24', ','],
  },
  {
    parser: 'endpoint',
    accept: [
      ['10.0.0.10:6443', { host: '10.0.0.10', port: 6443 }],
      ['ep0.eth0.vr:9345', { host: 'ep0.eth0.vr', port: 9345 }],
      ['k8s.example.com', { host: 'k8s.example.com', port: undefined }],
      ['10.0.0.10', { host: '10.0.0.10', port: undefined }],
    ],
    reject: ['10.0.0.10:', '10.0.0.10:0', '10.0.0.10:65536', 'https://10.0.0.10:6443', '[::1]:6443', ':6443', '10.0.0.10:64 43', '10.0.0.256:6443'],
  },
  {
    parser: 'sanList',
    accept: [
      ['localhost,127.0.0.1', ['localhost', '127.0.0.1']],
      ['localhost,127.0.0.1,ep0.eth0.vr,', ['localhost', '127.0.0.1', 'ep0.eth0.vr']],
      ['*.apps.example.com, ::1', ['*.apps.example.com', '::1']],
    ],
    reject: ['local host', 'localhost 127.0.0.1', 'a,,b..c', '10.0.0.256', 'https://x'],
  },
  {
    parser: 'noProxyList',
    accept: [
      ['127.0.0.0/8,localhost,.svc,.cluster.local', ['127.0.0.0/8', 'localhost', '.svc', '.cluster.local']],
      ['*', ['*']],
      ['*.example.com, 10.0.0.1, registry:5000, fd00::/8', ['*.example.com', '10.0.0.1', 'registry:5000', 'fd00::/8']],
      ['my_host.internal', ['my_host.internal']],
    ],
    reject: ['a b', 'http://x', 'a;b', '"quoted"'],
  },
  {
    parser: 'onegateUrl',
    accept: [
      ['http://169.254.16.9:5030', 'http://169.254.16.9:5030'],
      ['https://onegate.example.com/', 'https://onegate.example.com/'],
      ['HTTP://gate:5030', 'HTTP://gate:5030'],
    ],
    reject: ['169.254.16.9:5030', 'ftp://gate', 'http://', 'http://user:pw@gate:5030', 'http://gate:5030?x=1', 'http://gate\n:5030', 'http://ga te'],
  },
  {
    parser: 'proxyUrl',
    accept: [
      ['http://proxy.example.com:3128', 'http://proxy.example.com:3128'],
      ['https://user:p%40ss@proxy:443', 'https://user:p%40ss@proxy:443'],
    ],
    reject: ['proxy.example.com:3128', 'socks5://proxy:1080', 'http://proxy:3128#frag', 'http://proxy:99999'],
  },
  {
    parser: 'cniName',
    accept: [
      ['cilium', 'cilium'],
      ['canal', 'canal'],
      ['calico', 'calico'],
      ['Cilium', 'cilium'],
    ],
    reject: ['flannel', 'cilium,multus', 'multus'],
  },
  {
    parser: 'filesystem',
    accept: [
      ['xfs', 'xfs'],
      ['ext4', 'ext4'],
      ['XFS', 'xfs'],
    ],
    reject: ['ext3', 'btrfs', 'zfs', 'vfat'],
  },
  {
    parser: 'interfaces',
    accept: [
      ['all', { include: 'all', exclude: [] }],
      ['ALL', { include: 'all', exclude: [] }],
      ['eth0', { include: ['eth0'], exclude: [] }],
      ['eth0 eth1', { include: ['eth0', 'eth1'], exclude: [] }],
      ['eth0,eth1', { include: ['eth0', 'eth1'], exclude: [] }],
      ['eth0, eth1;eth2', { include: ['eth0', 'eth1', 'eth2'], exclude: [] }],
      ['!eth2', { include: 'all', exclude: ['eth2'] }],
      ['all !eth0', { include: 'all', exclude: ['eth0'] }],
      ['eth0 eth1 !eth1', { include: ['eth0', 'eth1'], exclude: ['eth1'] }],
    ],
    reject: ['eth0/10.0.0.1', 'eth0@80', 'averyveryverylongname0', '!', ','],
  },
  {
    parser: 'version',
    accept: [
      ['1.33', '1.33'],
      ['v1.33.4+rke2r1', 'v1.33.4+rke2r1'],
      ['3.18.6', '3.18.6'],
      ['1.0.0-rc_1', '1.0.0-rc_1'],
    ],
    reject: ['1.33 ', '1 33', 'v1/2', '-1', '', '../x', 'a'.repeat(65)],
  },
  {
    parser: 'loadBalancerClass',
    accept: [
      ['metallb', 'metallb'],
      ['example.com/internal-vip', 'example.com/internal-vip'],
      ['io.cilium/l2', 'io.cilium/l2'],
    ],
    reject: ['-metallb', 'a/b/c', 'Example.com/x', 'bad class', `${'a'.repeat(64)}`],
  },
  {
    parser: 'mountPoint',
    accept: [
      ['/var/lib/longhorn', '/var/lib/longhorn'],
      ['/data', '/data'],
      ['/mnt/disk-1.0', '/mnt/disk-1.0'],
    ],
    reject: ['/', 'var/lib/longhorn', '/var/lib/longhorn/', '/var//lib', '/var/../etc', '/var/./lib', '/my disk', '/x\ty'],
  },
  {
    parser: 'devicePath',
    accept: [
      ['/dev/vdb', '/dev/vdb'],
      ['/dev/disk/by-id/virtio-abc_1', '/dev/disk/by-id/virtio-abc_1'],
      ['/dev/mapper/vg-lv', '/dev/mapper/vg-lv'],
      ['/dev/disk/by-path/pci-0000:00:05.0', '/dev/disk/by-path/pci-0000:00:05.0'],
    ],
    reject: ['vdb', '/dev/', '/dev/../etc/passwd', '/tmp/vdb', '/dev/v db', '/dev//vdb'],
  },
  {
    parser: 'keepalivedPassword',
    accept: [
      ['secret', 'secret'],
      ['12345678', '12345678'],
      ['a$%&()*+', 'a$%&()*+'],
    ],
    // #, !, ' and \ are fine inside keepalived's quotes; ", a trailing \, $_NAME and ${…} are not.
    reject: ['123456789', 'pass word', 'pa"ss', 'pass\\', 'a$_HASH', 'x${y}', '{', 'pässwd', ''],
  },
  {
    parser: 'token',
    accept: [
      ['0123abcd', '0123abcd'],
      ['a+b/c=', 'a+b/c='],
    ],
    reject: ['to ken', 'token\n', 'tok\ten', 'x'.repeat(4097)],
  },
  {
    parser: 'base64Yaml',
    accept: [
      [b64('a: 1\n'), 'a: 1\n'],
      [b64('---\nkind: A\n---\nkind: B\n'), '---\nkind: A\n---\nkind: B\n'],
      [`${b64('kind: Pool\nspec:\n  addresses: []\n').slice(0, 20)}\n${b64('kind: Pool\nspec:\n  addresses: []\n').slice(20)}`, 'kind: Pool\nspec:\n  addresses: []\n'],
      [b64('a: 1\n').replace(/=+$/, ''), 'a: 1\n'],
      [b64('---\n# only a comment\n---\nkind: A\n'), '---\n# only a comment\n---\nkind: A\n'],
    ],
    reject: [
      'not base64!',
      `${b64('a: 1')}$`,
      'YTo-MQ==',
      'YTo_MQ==',
      'YQ=a',
      'Y',
      b64('- a\n- b\n'),
      b64('just a string'),
      b64('a: [1, 2\n'),
      b64('# nothing\n'),
      Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('base64'),
    ],
  },
];

const PARSERS = parsers as unknown as Record<string, ValueParser<unknown>>;

describe.each(CASES)('$parser', ({ parser, accept, reject }) => {
  const valueParser = PARSERS[parser] as ValueParser<unknown>;

  it.each(accept)('accepts %j', (raw, value) => {
    expect(valueParser.parse(raw)).toEqual({ ok: true, value });
  });

  if (reject.length > 0) {
    it.each(reject)('rejects %j', (raw) => {
      const result = valueParser.parse(raw);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.expected).toMatch(/\S/);
    });
  }
});

describe('parser messages', () => {
  it('says which way round a range is wrong', () => {
    expect(parsers.addressRanges.parse('10.0.0.9-10.0.0.1')).toEqual({ ok: false, expected: 'a range whose first address is not above its last (10.0.0.9 > 10.0.0.1)' });
  });

  it.each([
    ['not base64!', /the value is not base64/],
    [Buffer.from([0xff, 0xfe]).toString('base64'), /binary, not UTF-8/],
    [b64('a: [1, 2\n'), /YAML error [A-Z_]+ at line \d+, column \d+ of the decoded text/],
    [b64('# nothing\n'), /no YAML document/],
    [b64('- a\n'), /not a mapping/],
  ])('explains why %j is not base64 YAML', (raw, message) => {
    const result = parsers.base64Yaml.parse(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.expected).toMatch(message);
  });
});
