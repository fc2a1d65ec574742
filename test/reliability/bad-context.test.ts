// Reliability, issue 7: malformed contexts through the real binary. Every case is a context file
// (context.sh as OpenNebula writes it, or raw bytes), run as `dist/oneke --root R --context F
// configure` (and a selection through `validate`). Each must exit 2, say on stderr one line per
// problem naming the variable (or the file), show no stack trace, never show a secret, and leave
// nothing under the root but the status files, the motd and the step log.
//
// ONEGATE_ENDPOINT points at 127.0.0.1:9, where nothing listens: the configuration error must come
// before any OneGate call. The failure report that follows is best effort with retries; how long it
// takes is measured and printed (a finding when above FINDING_MS).

import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BINARY, contextSh } from '../support/binary.ts';
import { describeHits, findSecrets, listTree } from './secrets.ts';

const UNREACHABLE = 'http://127.0.0.1:9';
const TOKEN = 'tok-7f3c9e21-SECRET-a9d4b0c6e5';
const KEEPALIVED_PASSWORD = 'kP-s3cr'; // valid (7 characters): must never appear either
/** A configure run slower than this because of the failure report's retries is reported. */
const FINDING_MS = 5_000;
/**
 * Slower than this is a hang. The failure report's backoff caps add up to 15.5 s with the default
 * policy; the rest is room for a busy 2-core machine, so that only a run that never ends trips it.
 */
const HANG_MS = 120_000;
/** Runs mostly sleep in the failure report's backoff; more at once than this only starves the CPU. */
const CONCURRENCY = 16;

/** A sound context: the VM's OneGate variables and the two VIPs. Cases add to it or take from it. */
const BASE: Record<string, string> = {
  ONEGATE_ENDPOINT: UNREACHABLE,
  VMID: '3',
  TOKENTXT: TOKEN,
  SERVICE_ID: '10',
  ONEAPP_VROUTER_ETH0_VIP0: '192.168.150.86',
  ONEAPP_VROUTER_ETH1_VIP0: '172.20.0.86',
  ONEAPP_VNF_KEEPALIVED_PASSWORD: KEEPALIVED_PASSWORD,
};

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

/** What the run must name: variables (one line each), or the context file itself. */
type Expectation = { variables: string[] } | { file: true };

interface BadCase {
  name: string;
  /** Added to BASE (an empty string is a variable set to nothing). */
  vars?: Record<string, string>;
  /** BASE variables left out. */
  omit?: string[];
  /** The whole file instead of BASE + vars: text or raw bytes. */
  raw?: string | Buffer;
  /** Not a file: a directory, or nothing at all, where the file should be. */
  special?: 'directory' | 'missing';
  expect: Expectation;
  /** Values that must not appear anywhere (TOKEN and KEEPALIVED_PASSWORD always). */
  secrets?: string[];
  /** Also run through `validate` (same expectation). */
  validate?: boolean;
  /** `validate` expects something else (e.g. it does not need OneGate). */
  validateExpect?: Expectation | 'ok';
}

const vars = (extra: Record<string, string>) => extra;
const names = (...variables: string[]): Expectation => ({ variables });
const FILE: Expectation = { file: true };

/** A context.sh with BASE first, then `lines` as given (for duplicates and syntax errors). */
const withLines = (...lines: string[]): string => contextSh(BASE) + lines.join('');

const CASES: BadCase[] = [
  // ---- addresses -------------------------------------------------------------------------------
  { name: 'public VIP with an octet above 255', vars: vars({ ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.300' }), expect: names('ONEAPP_VROUTER_ETH0_VIP0'), validate: true },
  { name: 'VIP with prefix garbage', vars: vars({ ONEAPP_VROUTER_ETH1_VIP0: '172.20.0.86/abc' }), expect: names('ONEAPP_VROUTER_ETH1_VIP0'), validate: true },
  { name: 'VIP with a prefix of 33', vars: vars({ ONEAPP_VROUTER_ETH0_VIP0: '192.168.150.86/33' }), expect: names('ONEAPP_VROUTER_ETH0_VIP0') },
  { name: 'VIP with two prefixes', vars: vars({ ONEAPP_VROUTER_ETH2_VIP0: '10.1.1.1/24/8' }), expect: names('ONEAPP_VROUTER_ETH2_VIP0') },
  { name: 'NIC IP with a leading zero (octal to inet_aton)', vars: vars({ ETH0_IP: '010.0.0.1' }), expect: names('ETH0_IP'), validate: true },
  { name: 'fallback DNS given as IPv6', vars: vars({ FALLBACK_DNS: '::1' }), expect: names('FALLBACK_DNS') },
  { name: 'netmask with holes', vars: vars({ ETH0_MASK: '255.0.255.0' }), expect: names('ETH0_MASK') },
  { name: 'MAC address too short', vars: vars({ ETH1_MAC: '02:00:0a:00:00' }), expect: names('ETH1_MAC') },
  { name: 'nameservers that are names', vars: vars({ ETH0_DNS: 'dns.example.com 8.8.8.8' }), expect: names('ETH0_DNS') },

  // ---- ports and load balancers ------------------------------------------------------------------
  { name: 'LB0 port out of range', vars: vars({ ONEAPP_VNF_HAPROXY_LB0_PORT: '70000' }), expect: names('ONEAPP_VNF_HAPROXY_LB0_PORT'), validate: true },
  { name: 'LB port 0', vars: vars({ ONEAPP_VNF_HAPROXY_LB1_PORT: '0' }), expect: names('ONEAPP_VNF_HAPROXY_LB1_PORT'), validate: true },
  { name: 'LB port negative', vars: vars({ ONEAPP_VNF_HAPROXY_LB2_PORT: '-443' }), expect: names('ONEAPP_VNF_HAPROXY_LB2_PORT') },
  { name: 'LB port with letters and a CR inside', vars: vars({ ONEAPP_VNF_HAPROXY_LB3_PORT: '8\r0' }), expect: names('ONEAPP_VNF_HAPROXY_LB3_PORT') },
  { name: 'two LBs on the same address and port', vars: vars({ ONEAPP_VNF_HAPROXY_LB1_PORT: '9345' }), expect: names('ONEAPP_VNF_HAPROXY_LB1_PORT') },
  { name: 'a further LB with an address and no port', vars: vars({ ONEAPP_VNF_HAPROXY_LB4_IP: '192.168.150.86' }), expect: names('ONEAPP_VNF_HAPROXY_LB4_PORT'), validate: true },
  { name: 'LB address that is a name', vars: vars({ ONEAPP_VNF_HAPROXY_LB0_IP: 'lb.example.com' }), expect: names('ONEAPP_VNF_HAPROXY_LB0_IP') },
  { name: 'static server with a host but no port', vars: vars({ ONEAPP_VNF_HAPROXY_LB2_SERVER0_HOST: '172.20.0.50' }), expect: names('ONEAPP_VNF_HAPROXY_LB2_SERVER0_PORT'), validate: true },
  { name: 'static server with a port but no host', vars: vars({ ONEAPP_VNF_HAPROXY_LB3_SERVER1_PORT: '8080' }), expect: names('ONEAPP_VNF_HAPROXY_LB3_SERVER1_HOST') },
  {
    name: 'static server host with spaces and a bang',
    vars: vars({ ONEAPP_VNF_HAPROXY_LB0_SERVER0_HOST: 'bad host!', ONEAPP_VNF_HAPROXY_LB0_SERVER0_PORT: '9345' }),
    expect: names('ONEAPP_VNF_HAPROXY_LB0_SERVER0_HOST'),
  },
  { name: 'refresh rate 0', vars: vars({ ONEAPP_VNF_HAPROXY_REFRESH_RATE: '0' }), expect: names('ONEAPP_VNF_HAPROXY_REFRESH_RATE') },
  { name: 'interfaces list of punctuation', vars: vars({ ONEAPP_VNF_HAPROXY_INTERFACES: '!!! ???' }), expect: names('ONEAPP_VNF_HAPROXY_INTERFACES') },

  // ---- keepalived --------------------------------------------------------------------------------
  {
    name: 'keepalived password too long',
    vars: vars({ ONEAPP_VNF_KEEPALIVED_PASSWORD: 'much-too-long-SECRET-pw' }),
    expect: names('ONEAPP_VNF_KEEPALIVED_PASSWORD'),
    secrets: ['much-too-long-SECRET-pw'],
    validate: true,
  },
  { name: 'per-NIC keepalived password with a space', vars: vars({ ONEAPP_VNF_KEEPALIVED_ETH1_PASSWORD: 'pw SEC1' }), expect: names('ONEAPP_VNF_KEEPALIVED_ETH1_PASSWORD'), secrets: ['pw SEC1'] },
  { name: 'VRID 256', vars: vars({ ONEAPP_VNF_KEEPALIVED_VRID: '256' }), expect: names('ONEAPP_VNF_KEEPALIVED_VRID') },
  { name: 'priority 255 (address owner)', vars: vars({ ONEAPP_VNF_KEEPALIVED_PRIORITY: '255' }), expect: names('ONEAPP_VNF_KEEPALIVED_PRIORITY') },
  { name: 'fractional interval with PASS authentication', vars: vars({ ONEAPP_VNF_KEEPALIVED_INTERVAL: '0.5' }), expect: names('ONEAPP_VNF_KEEPALIVED_INTERVAL'), validate: true },

  // ---- networks ----------------------------------------------------------------------------------
  { name: 'cluster CIDR prefix 99', vars: vars({ ONEAPP_K8S_CLUSTER_CIDR: '10.42.0.0/99' }), expect: names('ONEAPP_K8S_CLUSTER_CIDR'), validate: true },
  { name: 'service CIDR garbage', vars: vars({ ONEAPP_K8S_SERVICE_CIDR: 'banana/16' }), expect: names('ONEAPP_K8S_SERVICE_CIDR') },
  { name: 'service CIDR overlapping the cluster CIDR', vars: vars({ ONEAPP_K8S_CLUSTER_CIDR: '10.0.0.0/8' }), expect: names('ONEAPP_K8S_SERVICE_CIDR') },
  { name: 'Cilium range that is not a CIDR', vars: vars({ ONEAPP_K8S_CILIUM_RANGE1: '10.11.12.0/24,not-a-cidr' }), expect: names('ONEAPP_K8S_CILIUM_RANGE1') },
  { name: 'MetalLB range backwards', vars: vars({ ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_RANGE: '10.0.0.150-10.0.0.100' }), expect: names('ONEAPP_K8S_METALLB_RANGE'), validate: true },
  { name: 'MetalLB range with three ends', vars: vars({ ONEAPP_K8S_METALLB_RANGE2: '10.0.0.1-10.0.0.2-10.0.0.3' }), expect: names('ONEAPP_K8S_METALLB_RANGE2') },
  { name: 'MetalLB enabled without ranges', vars: vars({ ONEAPP_K8S_METALLB_ENABLED: 'YES' }), expect: names('ONEAPP_K8S_METALLB_ENABLED'), validate: true },
  { name: 'extra SANs with a bad name', vars: vars({ ONEAPP_K8S_EXTRA_SANS: 'localhost,bad_name!' }), expect: names('ONEAPP_K8S_EXTRA_SANS') },
  { name: 'no-proxy list with a URL', vars: vars({ ONEAPP_K8S_NO_PROXY: 'http://user:pw@x' }), expect: names('ONEAPP_K8S_NO_PROXY') },
  { name: 'supervisor endpoint with port 0', vars: vars({ ONEAPP_RKE2_SUPERVISOR_EP: '192.168.150.86:0' }), expect: names('ONEAPP_RKE2_SUPERVISOR_EP') },

  // ---- Kubernetes, add-ons, storage, versions ---------------------------------------------------
  { name: 'unknown CNI', vars: vars({ ONEAPP_K8S_CNI_PLUGIN: 'flannel' }), expect: names('ONEAPP_K8S_CNI_PLUGIN'), validate: true },
  { name: 'CNI config that is not base64', vars: vars({ ONEAPP_K8S_CNI_CONFIG: '!!not*base64!!' }), expect: names('ONEAPP_K8S_CNI_CONFIG') },
  { name: 'CNI config: base64 that is not YAML', vars: vars({ ONEAPP_K8S_CNI_CONFIG: b64('key: [unclosed\n  - : :\n') }), expect: names('ONEAPP_K8S_CNI_CONFIG'), validate: true },
  { name: 'Multus config: base64 YAML that is a list', vars: vars({ ONEAPP_K8S_MULTUS_CONFIG: b64('- a\n- b\n') }), expect: names('ONEAPP_K8S_MULTUS_CONFIG'), validate: true },
  {
    name: 'MetalLB config: base64 YAML that is a scalar',
    vars: vars({ ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_CONFIG: b64('just a string') }),
    expect: names('ONEAPP_K8S_METALLB_CONFIG'),
  },
  { name: 'CNI config: base64 of binary bytes', vars: vars({ ONEAPP_K8S_CNI_CONFIG: b64(Buffer.from([0xff, 0xfe, 0x00, 0x81, 0xc3, 0x28])) }), expect: names('ONEAPP_K8S_CNI_CONFIG') },
  { name: 'wait timeout below 30 s', vars: vars({ ONEAPP_K8S_WAIT_TIMEOUT: '10' }), expect: names('ONEAPP_K8S_WAIT_TIMEOUT') },
  { name: 'storage device outside /dev', vars: vars({ ONEAPP_STORAGE_DEVICE: '/dev/../etc/passwd' }), expect: names('ONEAPP_STORAGE_DEVICE') },
  { name: 'unsupported filesystem', vars: vars({ ONEAPP_STORAGE_FILESYSTEM: 'btrfs' }), expect: names('ONEAPP_STORAGE_FILESYSTEM') },
  { name: 'mount point with a space', vars: vars({ ONEAPP_STORAGE_MOUNTPOINT: '/var/lib/long horn' }), expect: names('ONEAPP_STORAGE_MOUNTPOINT') },
  { name: 'version with a shell command', vars: vars({ ONE_SERVICE_VERSION: '1.33; rm -rf /' }), expect: names('ONE_SERVICE_VERSION') },
  { name: 'MetalLB class with two slashes', vars: vars({ ONEAPP_K8S_METALLB_CLASS: 'a/b/c' }), expect: names('ONEAPP_K8S_METALLB_CLASS') },

  // ---- OneGate variables ---------------------------------------------------------------------------
  { name: 'no ONEGATE_ENDPOINT (configure needs OneGate)', omit: ['ONEGATE_ENDPOINT'], expect: names('ONEGATE_ENDPOINT'), validateExpect: 'ok' },
  { name: 'no TOKENTXT (configure needs OneGate)', omit: ['TOKENTXT'], expect: names('TOKENTXT'), validateExpect: 'ok' },
  { name: 'no VMID (configure needs OneGate)', omit: ['VMID'], expect: names('VMID'), validateExpect: 'ok' },
  { name: 'ONEGATE_ENDPOINT with an ftp scheme', vars: vars({ ONEGATE_ENDPOINT: 'ftp://127.0.0.1:9' }), expect: names('ONEGATE_ENDPOINT'), validate: true },
  { name: 'VMID that is not a number', vars: vars({ VMID: 'three' }), expect: names('VMID') },
  { name: 'TOKENTXT with a space', vars: vars({ TOKENTXT: 'tok SECRET-with-space-5d1e' }), expect: names('TOKENTXT'), secrets: ['tok SECRET-with-space-5d1e'], validate: true },

  // ---- credentials inside URLs ---------------------------------------------------------------------
  {
    name: 'proxy URL whose password has a space',
    vars: vars({ ONEAPP_K8S_HTTP_PROXY: 'http://user:pa ss-PROXYSECRET@proxy.example.com:3128' }),
    expect: names('ONEAPP_K8S_HTTP_PROXY'),
    secrets: ['ss-PROXYSECRET', 'pa ss-PROXYSECRET'],
    validate: true,
  },
  {
    // The mask of a proxy password stops at the first / or @ of the password.
    name: 'proxy URLs whose passwords hold a slash, or an @ (and a query)',
    vars: vars({ ONEAPP_K8S_HTTP_PROXY: 'http://user:SLASH/SECRET1@proxy.example.com:3128', ONEAPP_K8S_HTTPS_PROXY: 'http://user:AT@SECRET2@proxy.example.com:3128/?x=1' }),
    expect: names('ONEAPP_K8S_HTTP_PROXY', 'ONEAPP_K8S_HTTPS_PROXY'),
    secrets: ['SLASH/SECRET1', 'SECRET2'],
  },
  {
    name: 'ONEGATE_ENDPOINT with credentials',
    vars: vars({ ONEGATE_ENDPOINT: 'http://oneadmin:OGPASS-SECRET-77@127.0.0.1:9' }),
    expect: names('ONEGATE_ENDPOINT'),
    secrets: ['OGPASS-SECRET-77'],
    validate: true,
  },

  // ---- binary junk in values ---------------------------------------------------------------------
  { name: 'NUL byte in a value', vars: vars({ ONEAPP_K8S_CNI_PLUGIN: 'cil\0ium' }), expect: names('ONEAPP_K8S_CNI_PLUGIN'), validate: true },
  {
    name: 'invalid UTF-8 in a value',
    raw: Buffer.concat([Buffer.from(contextSh(BASE)), Buffer.from("ONEAPP_K8S_CNI_PLUGIN='cal"), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from("ico'\n")]),
    expect: names('ONEAPP_K8S_CNI_PLUGIN'),
    validate: true,
  },
  { name: 'control characters in a value', vars: vars({ ONEAPP_VNF_HAPROXY_LB0_PORT: '93\x01\x07\x08\x7f45' }), expect: names('ONEAPP_VNF_HAPROXY_LB0_PORT') },
  { name: 'ANSI escapes in a value', vars: vars({ ONEAPP_K8S_METALLB_CLASS: '\x1b[31mred\x1b[0m\x1b]0;pwned\x07' }), expect: names('ONEAPP_K8S_METALLB_CLASS'), validate: true },
  { name: 'unicode line separators and bidi controls', vars: vars({ ONEAPP_STORAGE_FILESYSTEM: 'xfs\u2028\u202eext4' }), expect: names('ONEAPP_STORAGE_FILESYSTEM') },
  // Under the 4 MiB bound of a context file a huge value is the variable's problem; over it, the file's.
  { name: 'a 3 MB value', vars: vars({ ONEAPP_K8S_EXTRA_SANS: 'a'.repeat(3 * 1024 * 1024) }), expect: names('ONEAPP_K8S_EXTRA_SANS'), validate: true },
  { name: 'a 3 MB TOKENTXT', vars: vars({ TOKENTXT: `tok-HUGE-${'Z'.repeat(3 * 1024 * 1024)}` }), expect: names('TOKENTXT'), secrets: [`tok-HUGE-${'Z'.repeat(64)}`] },
  { name: 'a 10 MB value', vars: vars({ ONEAPP_K8S_EXTRA_SANS: 'a'.repeat(10 * 1024 * 1024) }), expect: FILE, validate: true },
  { name: 'a 10 MB TOKENTXT', vars: vars({ TOKENTXT: `tok-HUGE-${'Z'.repeat(10 * 1024 * 1024)}` }), expect: FILE, secrets: [`tok-HUGE-${'Z'.repeat(64)}`] },

  // ---- the file itself ----------------------------------------------------------------------------
  { name: 'context.sh with an unclosed quote', raw: withLines("ONEAPP_K8S_CNI_PLUGIN='canal\n"), expect: FILE, validate: true },
  { name: 'context.sh with a line that is not NAME=', raw: withLines('this is not a context line\n'), expect: FILE, validate: true },
  { name: 'context.sh with a NUL in a name', raw: withLines("ONEAPP\0K8S='x'\n"), expect: FILE },
  { name: 'context.sh with invalid UTF-8 where a name starts', raw: Buffer.concat([Buffer.from(contextSh(BASE)), Buffer.from([0xff, 0xfe]), Buffer.from("X='1'\n")]), expect: FILE },
  { name: 'context.sh with an unclosed double quote', raw: withLines('ONEAPP_K8S_CNI_PLUGIN="canal\n'), expect: FILE },
  { name: 'context.sh with a BOM and a secret on a broken line', raw: `\uFEFF${withLines(`broken ${TOKEN}\n`)}`, expect: FILE, validate: true },
  {
    name: 'duplicate names, the last one bad',
    raw: withLines("ONEAPP_VNF_HAPROXY_LB0_PORT='9345'\n", "ONEAPP_VNF_HAPROXY_LB0_PORT='99999'\n"),
    expect: names('ONEAPP_VNF_HAPROXY_LB0_PORT'),
    validate: true,
  },
  {
    name: 'one_env with junk',
    raw: [
      `export ONEGATE_ENDPOINT="${UNREACHABLE}"`,
      'export VMID="3"',
      `export TOKENTXT="${TOKEN}"`,
      'export ONEAPP_VNF_HAPROXY_LB0_PORT="9345" trailing "junk',
      '  folded junk line',
      'export ONEAPP_K8S_CNI_PLUGIN="weave"',
      'export BROKEN="never closed',
      '',
    ].join('\n'),
    expect: names('ONEAPP_VNF_HAPROXY_LB0_PORT', 'ONEAPP_K8S_CNI_PLUGIN'),
    validate: true,
  },
  {
    // Format detection looks at the first line: this is no longer one_env, so it is a context.sh
    // whose first line is not NAME=…
    name: 'one_env with a junk first line',
    raw: ['garbage before any entry \x1b[2J', `export ONEGATE_ENDPOINT="${UNREACHABLE}"`, `export TOKENTXT="${TOKEN}"`, ''].join('\n'),
    expect: FILE,
  },
  { name: 'an empty file (configure needs OneGate)', raw: '', expect: names('ONEGATE_ENDPOINT', 'VMID', 'TOKENTXT'), validateExpect: 'ok' },
  { name: 'the context path is a directory', special: 'directory', expect: FILE, validate: true },
  { name: 'the context file does not exist', special: 'missing', expect: FILE, validate: true },

  // ---- several at once ------------------------------------------------------------------------------
  {
    name: 'five mistakes at once',
    vars: vars({
      ONEAPP_VNF_HAPROXY_LB0_PORT: '70000',
      ONEAPP_VROUTER_ETH0_VIP0: '10.0.0.300',
      ONEAPP_K8S_CLUSTER_CIDR: '10.42.0.0/99',
      ONEAPP_K8S_CNI_PLUGIN: 'flannel',
      ONEAPP_VNF_KEEPALIVED_PASSWORD: 'much-too-long-password',
    }),
    expect: names('ONEAPP_VNF_HAPROXY_LB0_PORT', 'ONEAPP_VROUTER_ETH0_VIP0', 'ONEAPP_K8S_CLUSTER_CIDR', 'ONEAPP_K8S_CNI_PLUGIN', 'ONEAPP_VNF_KEEPALIVED_PASSWORD'),
    secrets: ['much-too-long-password'],
    validate: true,
  },
];

interface Run {
  command: 'configure' | 'validate';
  case: BadCase;
  root: string;
  file: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

let workDir = '';
const runs: Run[] = [];

async function writeCase(dir: string, item: BadCase): Promise<string> {
  const file = path.join(dir, 'context.sh');
  if (item.special === 'missing') return file;
  if (item.special === 'directory') {
    await fs.mkdir(file);
    return file;
  }
  if (item.raw !== undefined) {
    await fs.writeFile(file, item.raw);
    return file;
  }
  const context: Record<string, string> = { ...BASE, ...item.vars };
  for (const name of item.omit ?? []) delete context[name];
  await fs.writeFile(file, contextSh(context));
  return file;
}

async function runCase(command: Run['command'], item: BadCase, index: number): Promise<Run> {
  // The context lives outside the root, so that the root's tree is only what oneke wrote.
  const dir = path.join(workDir, `${command}-${String(index).padStart(2, '0')}`);
  const root = path.join(dir, 'root');
  await fs.mkdir(root, { recursive: true });
  const file = await writeCase(dir, item);
  const started = Date.now();
  const result = await execa(BINARY, ['--root', root, '--context', file, command], {
    reject: false,
    env: {},
    extendEnv: false,
    stdin: 'ignore',
    timeout: HANG_MS + 15_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    command,
    case: item,
    root,
    file,
    exitCode: result.exitCode,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    ms: Date.now() - started,
    timedOut: result.timedOut,
  };
}

async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await (jobs[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

const validateCases = CASES.filter((item) => item.validate === true || item.validateExpect !== undefined);

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'oneke-bad-context-'));
  const jobs = [...CASES.map((item, index) => () => runCase('configure', item, index)), ...validateCases.map((item, index) => () => runCase('validate', item, index))];
  runs.push(...(await pool(jobs, CONCURRENCY)));
}, 20 * 60_000);

afterAll(async () => {
  const configure = runs.filter((r) => r.command === 'configure');
  const slow = configure.filter((r) => r.ms > FINDING_MS).sort((a, b) => b.ms - a.ms);
  const max = Math.max(0, ...configure.map((r) => r.ms));
  console.log(`bad contexts tried: ${CASES.length} (configure: ${configure.length} runs, validate: ${runs.length - configure.length} runs)`);
  console.log(
    `configure durations: max ${(max / 1000).toFixed(1)} s; ${slow.length} of ${configure.length} took more than ${FINDING_MS / 1000} s ` +
      '(the failure report to the unreachable OneGate, retried with the default policy)',
  );
  for (const run of slow.slice(0, 5)) console.log(`  ${(run.ms / 1000).toFixed(1)} s  ${run.case.name}`);
  // Without sound OneGate variables there is no failure report, hence no retries: the baseline.
  const median = (list: Run[]): string => {
    const sorted = list.map((r) => r.ms).sort((a, b) => a - b);
    return sorted.length === 0 ? '-' : `${((sorted[Math.floor(sorted.length / 2)] ?? 0) / 1000).toFixed(1)} s`;
  };
  const reported = configure.filter((r) => /OneGate PUT \/vm/.test(r.stderr));
  console.log(
    `  median with a failure report to OneGate: ${median(reported)} (${reported.length} runs); ` +
      `without one: ${median(configure.filter((r) => !reported.includes(r)))}; validate: ${median(runs.filter((r) => r.command === 'validate'))}`,
  );
  if (workDir) await fs.rm(workDir, { recursive: true, force: true });
});

/** The lines that report problems: `oneke: …` for configure (hints aside), the issue lines for validate. */
function problemLines(run: Run): string[] {
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  if (run.command === 'configure') return lines.filter((line) => line.startsWith('oneke: ') && !line.startsWith('oneke: hint: ')).map((line) => line.slice('oneke: '.length));
  return lines.filter((line) => !/^\d+ problems? found$/.test(line)).map((line) => (line.startsWith('oneke: ') ? line.slice('oneke: '.length) : line));
}

const ALLOWED = [/^\/etc$/, /^\/etc\/motd$/, /^\/etc\/one-appliance(\/|$)/, /^\/var$/, /^\/var\/log$/, /^\/var\/log\/one-appliance(\/|$)/];

function expectationOf(run: Run): Expectation | 'ok' {
  return run.command === 'validate' && run.case.validateExpect !== undefined ? run.case.validateExpect : run.case.expect;
}

function check(run: Run): void {
  const expectation = expectationOf(run);
  const where = `${run.command}: ${run.case.name}\n--- stderr ---\n${run.stderr.slice(0, 4000)}`;

  // A hang is an outcome (killed at HANG_MS), not a duration to compare: how long runs take is printed.
  expect(run.timedOut, where).toBe(false);
  // No stack trace, whatever the outcome.
  expect(run.stderr, where).not.toMatch(/^\s+at /m);
  expect(run.stderr, where).not.toContain('internal error');
  // Nothing on stderr that a terminal would interpret: escape sequences, NUL, bells, backspaces.
  expect(run.stderr.replace(/[\n]/g, ''), where).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]/);

  if (expectation === 'ok') {
    expect([run.exitCode, run.stdout.trim()], where).toEqual([0, 'OK']);
  } else {
    expect(run.exitCode, where).toBe(2);
    const lines = problemLines(run);
    if ('file' in expectation) {
      expect(lines, where).toHaveLength(1);
      expect(lines[0], where).toContain(run.file);
    } else {
      // One line per problem, each naming its variable, none twice.
      const named = lines.map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1]);
      expect(named.sort(), where).toEqual([...expectation.variables].sort());
      if (run.command === 'validate') {
        const n = expectation.variables.length;
        expect(run.stderr.trim().split('\n').at(-1), where).toBe(`${n} problem${n === 1 ? '' : 's'} found`);
      }
    }
  }

  // Never a secret: on the console, or in any file under the root (status, motd, log).
  const secrets = [TOKEN, KEEPALIVED_PASSWORD, ...(run.case.secrets ?? [])];
  const printed = secrets.filter((secret) => `${run.stdout}\n${run.stderr}`.includes(secret)).map((secret) => ({ file: 'stdout/stderr', secret }));
  const hits = [...printed, ...findSecrets(run.root, secrets)];
  expect(hits, `${where}\n--- secrets found ---\n${describeHits(hits)}`).toEqual([]);

  // Nothing written but the status files, the motd and the step log.
  const tree = listTree(run.root).map((entry) => entry.file);
  expect(
    tree.filter((file) => !ALLOWED.some((allowed) => allowed.test(file))),
    where,
  ).toEqual([]);
  if (run.command === 'validate') expect(tree, where).toEqual([]);
  else {
    expect(tree, where).toContain('/etc/one-appliance/status');
    checkFailedBeforeOneGate(run, where);
  }
}

/**
 * The configuration error came before any OneGate call: in the step log, the `configure failed` line
 * is the first after `configure started`, no earlier line speaks of OneGate, and it came quickly (a
 * OneGate call to a closed port would have retried for seconds first).
 */
function checkFailedBeforeOneGate(run: Run, where: string): void {
  const log = readFileSync(path.join(run.root, 'var/log/one-appliance/configure.log'), 'utf8');
  const records = log
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { msg?: string; seconds?: number });
  const failed = records.findIndex((record) => record.msg?.startsWith('configure failed') === true);
  expect(failed, `${where}\n--- log ---\n${log.slice(0, 2000)}`).toBe(1);
  // Order, not time: the failure is the very next record after the start, so no OneGate request
  // (which logs its retries) came in between.
  expect(records[0]?.msg, where).toBe('configure started');
}

describe('bad contexts through dist/oneke', () => {
  describe('configure', () => {
    test.each(CASES.map((item) => [item.name, item] as const))('%s', (_name, item) => {
      const run = runs.find((r) => r.command === 'configure' && r.case === item);
      expect(run).toBeDefined();
      check(run as Run);
    });
  });

  describe('validate', () => {
    test.each(validateCases.map((item) => [item.name, item] as const))('%s', (_name, item) => {
      const run = runs.find((r) => r.command === 'validate' && r.case === item);
      expect(run).toBeDefined();
      check(run as Run);
    });
  });
});
