// keepalived.conf for the VNF role (contract section 7): one VRRP instance per NIC with VIPs, all in one
// sync group so that the VIPs of every network move together, every instance starting as BACKUP.
//
// Decisions, and why:
// - `nopreempt`: a VNF that comes back (reboot, keepalived restart) must not take the VIPs back from
//   a healthy peer. Each move cuts every TCP connection through HAProxy, the Kubernetes API watches
//   included, so the VIPs move only when their holder fails. keepalived allows `nopreempt` only with
//   `state BACKUP`, which the contract asks for anyway.
// - VRRPv2 unless an interval is fractional or an instance is IPv6 only: v2 is what existing VNF
//   pairs speak, and only v2 has PASS authentication. VRRPv3 has centisecond intervals but no
//   authentication, so a fractional interval together with a password is refused.
// - The sync group is written only with two or more instances: keepalived 2.2 reports a group of
//   one as a configuration error (`keepalived -t` exits 5).
// - `vrrp_garp_master_refresh`: a gratuitous ARP lost at the moment of a failover would leave the
//   upstream router sending to the old holder until its ARP entry expires; a periodic refresh
//   bounds that.
// - A VIP may live on another interface than the one that carries the adverts (`dev`): the official
//   VNF skips VRRP on its public NIC (many public networks drop multicast), so the public VIP moves
//   inside the instance of the private NIC.
// - `virtual_routes` only for routes through an interface that has no address of its own: when the
//   VIP leaves, the kernel drops such routes, and nothing but keepalived puts them back. A route
//   through an interface with its own address would be deleted on a BACKUP, cutting it off.
// - Pid files, logging and the network namespace are command-line options, never in the file, so
//   that several keepalived can run side by side (tests) from configs rendered the same way.

import { InternalError } from '../errors.ts';
import { type IpFamily, parseIp, parseIpWithPrefix } from '../net/address.ts';
import { assertIdentifier, assertIntegerIn, assertInterfaceName } from './names.ts';

/** One NIC that carries VIPs. */
export interface VrrpInstance {
  /** The instance name, e.g. `ETH0`: letters, digits, `_`, `.`, `-`. */
  readonly name: string;
  /** The interface that carries the VIPs and the adverts, e.g. `eth0`. */
  readonly interface: string;
  /** VRRP virtual router id, 1-255; unique per interface among the instances of one file. */
  readonly vrid: number;
  /** 1-254 (255 belongs to an address owner, which a BACKUP never is). */
  readonly priority: number;
  /** Seconds between adverts; fractional (centiseconds) switches the instance to VRRPv3. */
  readonly advertInterval: number;
  /** VRRPv2 PASS authentication: 1-8 bytes; see keepalivedTextProblem for what cannot be written. */
  readonly password?: string | undefined;
  /**
   * Addresses with an optional prefix length (`10.0.0.10/24`), on `interface`, or on another one
   * (`{ address, interface }`); at least one.
   */
  readonly vips: readonly (string | { readonly address: string; readonly interface: string })[];
  /** Routes added while MASTER and removed otherwise, such as a gateway reached only through a VIP. */
  readonly routes?: readonly { readonly destination: string; readonly via: string; readonly interface: string }[] | undefined;
  /** Unicast VRRP to these peers instead of multicast (networks that drop multicast). */
  readonly unicastPeers?: readonly string[] | undefined;
}

/** A check that keepalived runs; every instance tracks every script. */
export interface VrrpScript {
  /** Letters, digits, `_`, `.`, `-`. */
  readonly name: string;
  /** argv: an absolute path and plain arguments (no quotes, spaces or shell syntax). */
  readonly command: readonly string[];
  /** Whole seconds between runs. */
  readonly intervalSeconds: number;
  readonly timeoutSeconds?: number | undefined;
  /** Failures in a row before the instance goes to FAULT (or its priority drops by `weight`). */
  readonly fall?: number | undefined;
  /** Successes in a row to recover. */
  readonly rise?: number | undefined;
  /**
   * Omitted or 0: a failing script puts the instances in FAULT; otherwise the priority change. Only
   * with a single instance: keepalived ignores weighted scripts in a sync group.
   */
  readonly weight?: number | undefined;
}

export interface KeepalivedInput {
  /** `router_id` in global_defs, shown in logs; distinct per VM helps when reading them. */
  readonly routerId?: string | undefined;
  /** The `vrrp_sync_group` name (used when there are two or more instances). */
  readonly syncGroup: string;
  readonly instances: readonly VrrpInstance[];
  readonly scripts?: readonly VrrpScript[] | undefined;
  /** Seconds between gratuitous ARP refreshes while MASTER; 0 turns them off. Default 60. */
  readonly garpRefreshSeconds?: number | undefined;
}

const DEFAULT_GARP_REFRESH_SECONDS = 60;
/** VRRPv3 carries the interval in centiseconds in 12 bits. */
const VRRP3_MAX_INTERVAL = 40.95;
const VRRP2_MAX_INTERVAL = 255;
const PASSWORD_MAX_BYTES = 8;
const SCRIPT_ARGUMENT = /^[A-Za-z0-9_./:=@%+,-]+$/;

/**
 * Why `text` cannot be written as a quoted value in keepalived.conf (2.2), or undefined when it can.
 * keepalived has no escapes inside quotes: a `"` always ends the value, a trailing `\` continues the
 * line, `$_NAME` and `${…}` are expanded (`$_HASH` becomes `#`), and a value that is exactly `{` or
 * `}` is taken for a block delimiter. `#` and `!` are fine inside quotes. For configuration
 * validation upstream (the keepalived password).
 */
export function keepalivedTextProblem(text: string): string | undefined {
  if (text.length === 0) return 'it is empty';
  if (/[\x00-\x1f\x7f]/.test(text)) return 'it contains a control character';
  if (text.includes('"')) return 'keepalived cannot read a double quote (") inside a value';
  if (text.endsWith('\\')) return 'keepalived reads a trailing backslash as a line continuation';
  if (/\$(?:_|\{)/.test(text)) return 'keepalived expands $_NAME and ${...} in values';
  if (text === '{' || text === '}') return 'keepalived reads a lone { or } as a block delimiter';
  return undefined;
}

function quoted(text: string, what: string): string {
  const problem = keepalivedTextProblem(text);
  if (problem !== undefined) throw new InternalError(`${what} cannot be written to keepalived.conf: ${problem}`);
  return `"${text}"`;
}

function formatInterval(seconds: number, what: string): { text: string; needsV3: boolean } {
  const centis = Math.round(seconds * 100);
  if (!Number.isFinite(seconds) || seconds <= 0 || Math.abs(centis - seconds * 100) > 1e-6) {
    throw new InternalError(`${what}: advert interval ${String(seconds)} is not a positive number of seconds with at most two decimals`);
  }
  if (centis % 100 === 0) {
    if (seconds > VRRP2_MAX_INTERVAL) throw new InternalError(`${what}: advert interval ${seconds} is above ${VRRP2_MAX_INTERVAL} seconds`);
    return { text: String(centis / 100), needsV3: false };
  }
  if (seconds > VRRP3_MAX_INTERVAL) throw new InternalError(`${what}: fractional advert interval ${seconds} is above ${VRRP3_MAX_INTERVAL} seconds (VRRPv3)`);
  return { text: (centis / 100).toFixed(2).replace(/0$/, ''), needsV3: true };
}

interface RenderedVip {
  readonly family: IpFamily;
  readonly line: string;
}

function renderVips(instance: VrrpInstance, what: string): RenderedVip[] {
  if (instance.vips.length === 0) throw new InternalError(`${what}: an instance needs at least one VIP`);
  const seen = new Set<string>();
  return instance.vips.map((vip) => {
    const text = typeof vip === 'string' ? vip : vip.address;
    const device = typeof vip === 'string' ? instance.interface : assertInterfaceName(vip.interface, `${what} VIP interface`);
    const parsed = parseIpWithPrefix(text);
    if (parsed === undefined) throw new InternalError(`${what}: VIP ${JSON.stringify(text)} is not an address with an optional /prefix`);
    if (seen.has(parsed.address)) throw new InternalError(`${what}: VIP ${parsed.address} is listed twice`);
    seen.add(parsed.address);
    const cidr = parsed.prefixLength === undefined ? parsed.address : `${parsed.address}/${parsed.prefixLength}`;
    return { family: parsed.family, line: `${cidr} dev ${device}` };
  });
}

function renderScript(script: VrrpScript): string[] {
  const what = `vrrp_script ${script.name}`;
  assertIdentifier(script.name, 'vrrp_script name');
  const [program, ...args] = script.command;
  if (program === undefined || !program.startsWith('/')) throw new InternalError(`${what}: the command must start with an absolute path`);
  for (const arg of script.command) {
    if (!SCRIPT_ARGUMENT.test(arg)) throw new InternalError(`${what}: argument ${JSON.stringify(arg)} is not a plain word`);
  }
  const lines = [`vrrp_script ${script.name} {`, `    script ${quoted([program, ...args].join(' '), what)}`, `    interval ${assertIntegerIn(script.intervalSeconds, 1, 3600, `${what} interval`)}`];
  if (script.timeoutSeconds !== undefined) lines.push(`    timeout ${assertIntegerIn(script.timeoutSeconds, 1, 3600, `${what} timeout`)}`);
  if (script.fall !== undefined) lines.push(`    fall ${assertIntegerIn(script.fall, 1, 100, `${what} fall`)}`);
  if (script.rise !== undefined) lines.push(`    rise ${assertIntegerIn(script.rise, 1, 100, `${what} rise`)}`);
  if (script.weight !== undefined && script.weight !== 0) lines.push(`    weight ${assertIntegerIn(script.weight, -253, 253, `${what} weight`)}`);
  lines.push('}');
  return lines;
}

function renderInstance(instance: VrrpInstance, scripts: readonly VrrpScript[]): string[] {
  const what = `vrrp_instance ${instance.name}`;
  assertIdentifier(instance.name, 'vrrp_instance name');
  assertInterfaceName(instance.interface, `${what} interface`);
  assertIntegerIn(instance.vrid, 1, 255, `${what} virtual_router_id`);
  assertIntegerIn(instance.priority, 1, 254, `${what} priority`);
  const interval = formatInterval(instance.advertInterval, what);
  const vips = renderVips(instance, what);

  // The instance speaks the family of its first IPv4 VIP, else IPv6; other-family VIPs are managed
  // by keepalived but not carried in the adverts (virtual_ipaddress_excluded).
  const family: IpFamily = vips.some((vip) => vip.family === 4) ? 4 : 6;
  const advertised = vips.filter((vip) => vip.family === family);
  const excluded = vips.filter((vip) => vip.family !== family);
  const version = interval.needsV3 || family === 6 ? 3 : 2;
  if (version === 3 && instance.password !== undefined) {
    throw new InternalError(`${what}: a password needs VRRPv2, which has whole-second intervals and IPv4 only`);
  }

  const lines = [
    `vrrp_instance ${instance.name} {`,
    '    state BACKUP',
    `    interface ${instance.interface}`,
    `    virtual_router_id ${instance.vrid}`,
    `    priority ${instance.priority}`,
    `    advert_int ${interval.text}`,
  ];
  if (version === 3) lines.push('    version 3');
  lines.push('    nopreempt');
  if (instance.password !== undefined) {
    const bytes = new TextEncoder().encode(instance.password).length;
    if (bytes > PASSWORD_MAX_BYTES) throw new InternalError(`${what}: the password has ${bytes} bytes; VRRP PASS holds ${PASSWORD_MAX_BYTES}`);
    lines.push('    authentication {', '        auth_type PASS', `        auth_pass ${quoted(instance.password, `${what} password`)}`, '    }');
  }
  const peers = instance.unicastPeers ?? [];
  if (peers.length > 0) {
    lines.push('    unicast_peer {');
    for (const peer of peers) {
      const ip = parseIp(peer);
      if (ip === undefined || ip.family !== family) throw new InternalError(`${what}: unicast peer ${JSON.stringify(peer)} is not an IPv${family} address`);
      lines.push(`        ${ip.address}`);
    }
    lines.push('    }');
  }
  lines.push('    virtual_ipaddress {', ...advertised.map((vip) => `        ${vip.line}`), '    }');
  if (excluded.length > 0) lines.push('    virtual_ipaddress_excluded {', ...excluded.map((vip) => `        ${vip.line}`), '    }');
  const routes = instance.routes ?? [];
  if (routes.length > 0) {
    lines.push('    virtual_routes {');
    for (const route of routes) {
      const destination = parseIpWithPrefix(route.destination);
      const via = parseIp(route.via);
      if (destination === undefined || via === undefined || destination.family !== via.family)
        throw new InternalError(`${what}: route ${JSON.stringify(route)} is not a destination and a gateway of one family`);
      const cidr = destination.prefixLength === undefined ? destination.address : `${destination.address}/${destination.prefixLength}`;
      lines.push(`        ${cidr} via ${via.address} dev ${assertInterfaceName(route.interface, `${what} route interface`)}`);
    }
    lines.push('    }');
  }
  if (scripts.length > 0) lines.push('    track_script {', ...scripts.map((script) => `        ${script.name}`), '    }');
  lines.push('}');
  return lines;
}

/** Renders keepalived.conf; throws InternalError on input that no valid configuration could hold. */
export function renderKeepalivedConf(input: KeepalivedInput): string {
  const scripts = input.scripts ?? [];
  const names = new Set<string>();
  const vrids = new Set<string>();
  for (const instance of input.instances) {
    if (names.has(instance.name)) throw new InternalError(`vrrp_instance ${instance.name} is defined twice`);
    names.add(instance.name);
    // VRRP tells routers apart by VRID per link (and family); two instances sharing both would fight.
    const family = instance.vips.some((vip) => parseIpWithPrefix(typeof vip === 'string' ? vip : vip.address)?.family === 4) ? 4 : 6;
    const key = `${instance.interface}/${instance.vrid}/${family}`;
    if (vrids.has(key)) throw new InternalError(`VRID ${instance.vrid} is used twice on ${instance.interface}`);
    vrids.add(key);
  }
  const scriptNames = new Set<string>();
  for (const script of scripts) {
    if (scriptNames.has(script.name)) throw new InternalError(`vrrp_script ${script.name} is defined twice`);
    scriptNames.add(script.name);
    // keepalived 2.2 drops a weighted script of a sync group member entirely (only a warning).
    if (input.instances.length >= 2 && (script.weight ?? 0) !== 0) {
      throw new InternalError(`vrrp_script ${script.name}: keepalived ignores scripts with a weight in a sync group; use weight 0 (FAULT when it fails)`);
    }
  }
  const garp = input.garpRefreshSeconds ?? DEFAULT_GARP_REFRESH_SECONDS;
  assertIntegerIn(garp, 0, 86400, 'garp refresh seconds');

  const lines = ['# Written by oneke (VNF role). Local changes are overwritten.', '', 'global_defs {'];
  if (input.routerId !== undefined) lines.push(`    router_id ${quoted(input.routerId, 'router_id')}`);
  if (garp > 0) lines.push(`    vrrp_garp_master_refresh ${garp}`);
  if (scripts.length > 0) {
    // Scripts run as root; enable_script_security makes keepalived refuse scripts others can change.
    lines.push('    enable_script_security', '    script_user root');
  }
  lines.push('}');

  for (const script of scripts) lines.push('', ...renderScript(script));

  assertIdentifier(input.syncGroup, 'vrrp_sync_group name');
  if (input.instances.length >= 2) {
    lines.push('', `vrrp_sync_group ${input.syncGroup} {`, '    group {', ...input.instances.map((i) => `        ${i.name}`), '    }', '}');
  }
  for (const instance of input.instances) lines.push('', ...renderInstance(instance, scripts));
  return `${lines.join('\n')}\n`;
}
