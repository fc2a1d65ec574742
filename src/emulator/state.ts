// The emulator's state: one OneFlow service and the VMs of its nodes, in the shapes OpenNebula uses
// (IDs as strings inside VM, deploy_id a number, USER_TEMPLATE values strings). Built in code with
// buildServiceState, or loaded from a YAML/JSON file with loadEmulatorState, which names every
// problem it finds.

import { READ_LIMITS, readRegularFile, ReadRefused } from '../host/bounded-read.ts';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.ts';

/** A NIC as oned holds it; GET /vm shows only the contract's keys of it, ?extended all of them. */
export interface EmulatorNic {
  IP?: string;
  MAC?: string;
  NAME?: string;
  NETWORK?: string;
  [key: string]: unknown;
}

/** A VM as oned holds it: a superset of the body of `GET /vm` (under `VM`). */
export interface EmulatorVm {
  ID: string;
  NAME: string;
  STATE?: string;
  LCM_STATE?: string;
  USER_TEMPLATE: Record<string, unknown>;
  TEMPLATE: { NIC?: EmulatorNic[]; NIC_ALIAS?: EmulatorNic[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** One entry of `vms`: the VM and, beside it, the token its requests must carry. */
export interface EmulatorVmEntry {
  token: string;
  VM: EmulatorVm;
}

export interface EmulatorNode {
  deploy_id: number;
  running: boolean | null;
  /**
   * Only `null` matters here: the node's vm_info is null in answers (OpenNebula issue 6406).
   * Otherwise the emulator derives vm_info from the VM in `vms`; whatever else is given is ignored.
   */
  vm_info?: null | Record<string, unknown>;
}

export interface EmulatorRole {
  name: string;
  cardinality: number;
  state: number;
  nodes: EmulatorNode[];
}

export interface EmulatorServiceBody {
  id: string;
  name: string;
  state: number;
  roles: EmulatorRole[];
}

/**
 * `service` is the body of `GET /service`; `vms` maps each VM ID to `{token, VM}` where `VM` is the
 * body of `GET /vm` for that VM (more NIC keys allowed).
 */
export interface EmulatorState {
  service: { SERVICE: EmulatorServiceBody };
  vms: Record<string, EmulatorVmEntry>;
}

// ---------------------------------------------------------------------------------------------
// Builder

export interface BuildNicSpec {
  ip: string;
  mac?: string;
  /** Virtual network name. Default `private`. */
  network?: string;
  networkId?: number;
  external?: boolean;
}

export interface BuildVmSpec {
  id: number;
  /** Shorthand for one NIC on `network` (default `private`). */
  ip?: string;
  mac?: string;
  network?: string;
  /** Several NICs, in order (NIC0, NIC1…); wins over `ip`. */
  nics?: BuildNicSpec[];
  name?: string;
  /** Default: defaultToken(serviceId, id). */
  token?: string;
  /** Added to ROLE_NAME and SERVICE_ID. */
  userTemplate?: Record<string, string>;
  state?: string;
  lcmState?: string;
}

export interface BuildRoleSpec {
  name: string;
  /** OneFlow role state; default 2 (RUNNING). */
  state?: number;
  vms: BuildVmSpec[];
}

export interface BuildServiceSpec {
  serviceId: number;
  name?: string;
  /** OneFlow service state; default 2 (RUNNING). */
  state?: number;
  roles: BuildRoleSpec[];
}

/** A fake but stable token: the emulator only compares strings. */
export function defaultToken(serviceId: number | string, vmId: number | string): string {
  return `emulated-token-s${serviceId}-vm${vmId}`;
}

/** OpenNebula's default MAC: prefix 02:00 then the four bytes of the IPv4. */
export function macFromIp(ip: string): string {
  const bytes = ip.split('.').map((p) => Number(p));
  if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) return '02:00:00:00:00:00';
  return ['02', '00', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

const NETWORK_IDS: Record<string, number> = { public: 0, private: 1 };

/** The VM of one node, with the fields OneFlow and oned set. */
export function buildVmEntry(serviceId: number | string, roleName: string, index: number, spec: BuildVmSpec): EmulatorVmEntry {
  const nicSpecs: BuildNicSpec[] = spec.nics ?? (spec.ip !== undefined ? [{ ip: spec.ip, ...(spec.mac ? { mac: spec.mac } : {}), ...(spec.network ? { network: spec.network } : {}) }] : []);
  const nics: EmulatorNic[] = nicSpecs.map((nic, i) => {
    const network = nic.network ?? 'private';
    const out: EmulatorNic = {
      NIC_ID: String(i),
      NAME: `NIC${i}`,
      NETWORK: network,
      NETWORK_ID: String(nic.networkId ?? NETWORK_IDS[network] ?? 2 + i),
      IP: nic.ip,
      MAC: nic.mac ?? macFromIp(nic.ip),
      BRIDGE: `br-${network}`,
      MODEL: 'virtio',
      SECURITY_GROUPS: '0',
      TARGET: `one-${spec.id}-${i}`,
      VN_MAD: 'bridge',
    };
    if (nic.external !== undefined) out.EXTERNAL = nic.external ? 'YES' : 'NO';
    return out;
  });
  return {
    token: spec.token ?? defaultToken(serviceId, spec.id),
    VM: {
      ID: String(spec.id),
      NAME: spec.name ?? `${roleName}_${index}_(service_${serviceId})`,
      UID: '0',
      GID: '0',
      UNAME: 'oneadmin',
      GNAME: 'oneadmin',
      STATE: spec.state ?? '3',
      LCM_STATE: spec.lcmState ?? '3',
      USER_TEMPLATE: { ROLE_NAME: roleName, SERVICE_ID: String(serviceId), ...spec.userTemplate },
      TEMPLATE: { NIC: nics, NIC_ALIAS: [] },
    },
  };
}

export function buildServiceState(spec: BuildServiceSpec): EmulatorState {
  const vms: Record<string, EmulatorVmEntry> = {};
  const roles: EmulatorRole[] = spec.roles.map((role) => ({
    name: role.name,
    cardinality: role.vms.length,
    state: role.state ?? 2,
    nodes: role.vms.map((vm, index) => {
      vms[String(vm.id)] = buildVmEntry(spec.serviceId, role.name, index, vm);
      return { deploy_id: vm.id, running: true };
    }),
  }));
  return {
    service: { SERVICE: { id: String(spec.serviceId), name: spec.name ?? `OneKE ${spec.serviceId}`, state: spec.state ?? 2, roles } },
    vms,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation: raw (from a file or a test) → a normalized, deep-copied EmulatorState

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function idOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

/** Numbers and booleans become strings, as OpenNebula sends them; vectors stay as they are. */
function normalizeTemplateValues(obj: Json): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    out[key] = typeof value === 'number' || typeof value === 'boolean' ? String(value) : structuredClone(value);
  }
  return out;
}

function nicList(value: unknown, where: string, issues: ConfigIssue[]): EmulatorNic[] {
  const items = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
  const nics: EmulatorNic[] = [];
  items.forEach((item, i) => {
    if (!isObject(item)) {
      issues.push({ variable: `${where}[${i}]`, shown: shown(item), expected: 'a NIC (IP, MAC, NAME, NETWORK…)' });
      return;
    }
    nics.push(normalizeTemplateValues(item) as EmulatorNic);
  });
  return nics;
}

function validateVm(key: string, raw: unknown, issues: ConfigIssue[]): EmulatorVmEntry | undefined {
  const where = `vms.${key}`;
  if (idOf(key) === undefined) issues.push({ variable: where, shown: JSON.stringify(key), expected: 'a VM ID (digits) as the key' });
  if (!isObject(raw)) {
    issues.push({ variable: where, shown: shown(raw), expected: '{token, VM}' });
    return undefined;
  }
  const token = raw.token;
  if (typeof token !== 'string' || token === '' || /[\r\n]/.test(token)) {
    issues.push({ variable: `${where}.token`, shown: token === undefined ? '(missing)' : '(invalid)', expected: 'a non-empty one-line string' });
  }
  const vm = raw.VM;
  if (!isObject(vm)) {
    issues.push({ variable: `${where}.VM`, shown: shown(vm), expected: 'the VM as GET /vm shows it' });
    return undefined;
  }
  const id = idOf(vm.ID);
  if (id === undefined) issues.push({ variable: `${where}.VM.ID`, shown: shown(vm.ID), expected: 'a VM ID' });
  else if (String(id) !== key) issues.push({ variable: `${where}.VM.ID`, shown: shown(vm.ID), expected: `the key of the entry (${key})` });
  if (typeof vm.NAME !== 'string' || vm.NAME === '') issues.push({ variable: `${where}.VM.NAME`, shown: shown(vm.NAME), expected: 'a VM name' });
  const userTemplate = vm.USER_TEMPLATE ?? {};
  if (!isObject(userTemplate)) issues.push({ variable: `${where}.VM.USER_TEMPLATE`, shown: shown(userTemplate), expected: 'a map of keys to values' });
  const template = vm.TEMPLATE ?? {};
  if (!isObject(template)) issues.push({ variable: `${where}.VM.TEMPLATE`, shown: shown(template), expected: 'a map (NIC, NIC_ALIAS…)' });
  if (!isObject(userTemplate) || !isObject(template) || id === undefined || typeof token !== 'string') return undefined;

  const out = normalizeTemplateValues(vm) as EmulatorVm;
  out.ID = String(id);
  out.USER_TEMPLATE = normalizeTemplateValues(userTemplate);
  out.TEMPLATE = {
    ...normalizeTemplateValues(template),
    NIC: nicList(template.NIC, `${where}.VM.TEMPLATE.NIC`, issues),
    NIC_ALIAS: nicList(template.NIC_ALIAS, `${where}.VM.TEMPLATE.NIC_ALIAS`, issues),
  };
  return { token, VM: out };
}

/** Checks and normalizes a state; throws ConfigError listing every problem, each with its path. */
export function validateEmulatorState(raw: unknown, source = 'state'): EmulatorState {
  const issues: ConfigIssue[] = [];
  const at = (path: string): string => `${source}: ${path}`;
  const fail = (): never => {
    throw new ConfigError(issues.map((i) => ({ ...i, variable: at(i.variable) })));
  };
  if (!isObject(raw)) {
    issues.push({ variable: '(top)', shown: shown(raw), expected: 'a map with service and vms' });
    return fail();
  }

  const vms: Record<string, EmulatorVmEntry> = {};
  if (!isObject(raw.vms)) issues.push({ variable: 'vms', shown: shown(raw.vms), expected: 'a map of VM ID to {token, VM}' });
  else {
    for (const [key, value] of Object.entries(raw.vms)) {
      const entry = validateVm(key, value, issues);
      if (entry) vms[key] = entry;
    }
  }

  const service = isObject(raw.service) ? raw.service.SERVICE : undefined;
  if (!isObject(service)) {
    issues.push({ variable: 'service.SERVICE', shown: shown(service), expected: 'the body of GET /service: {id, name, state, roles}' });
    return fail();
  }
  const serviceId = idOf(service.id);
  if (serviceId === undefined) issues.push({ variable: 'service.SERVICE.id', shown: shown(service.id), expected: 'a service ID' });
  const state = service.state ?? 2;
  if (idOf(state) === undefined) issues.push({ variable: 'service.SERVICE.state', shown: shown(state), expected: 'a OneFlow state number' });
  if (!Array.isArray(service.roles)) {
    issues.push({ variable: 'service.SERVICE.roles', shown: shown(service.roles), expected: 'a list of roles' });
    return fail();
  }

  const roleNames = new Set<string>();
  const deployed = new Set<number>();
  const roles: EmulatorRole[] = [];
  service.roles.forEach((role: unknown, r) => {
    const where = `service.SERVICE.roles[${r}]`;
    if (!isObject(role)) {
      issues.push({ variable: where, shown: shown(role), expected: 'a role {name, cardinality, state, nodes}' });
      return;
    }
    if (typeof role.name !== 'string' || role.name === '') issues.push({ variable: `${where}.name`, shown: shown(role.name), expected: 'a role name' });
    else if (roleNames.has(role.name)) issues.push({ variable: `${where}.name`, shown: shown(role.name), expected: 'a name used by one role only' });
    else roleNames.add(role.name);
    const nodesRaw = role.nodes ?? [];
    if (!Array.isArray(nodesRaw)) {
      issues.push({ variable: `${where}.nodes`, shown: shown(nodesRaw), expected: 'a list of nodes' });
      return;
    }
    const nodes: EmulatorNode[] = [];
    nodesRaw.forEach((node: unknown, n) => {
      const nwhere = `${where}.nodes[${n}]`;
      if (!isObject(node)) {
        issues.push({ variable: nwhere, shown: shown(node), expected: 'a node {deploy_id, running, vm_info}' });
        return;
      }
      const deployId = idOf(node.deploy_id);
      if (deployId === undefined) {
        issues.push({ variable: `${nwhere}.deploy_id`, shown: shown(node.deploy_id), expected: 'the VM ID of the node' });
        return;
      }
      if (deployed.has(deployId)) issues.push({ variable: `${nwhere}.deploy_id`, shown: String(deployId), expected: 'a VM in one node only' });
      deployed.add(deployId);
      if (isObject(raw.vms) && !Object.hasOwn(raw.vms, String(deployId))) {
        issues.push({ variable: `${nwhere}.deploy_id`, shown: String(deployId), expected: `a VM listed in vms (add vms.${deployId})` });
      }
      const running = node.running ?? true;
      if (running !== null && typeof running !== 'boolean') issues.push({ variable: `${nwhere}.running`, shown: shown(running), expected: 'true, false or null' });
      const out: EmulatorNode = { deploy_id: deployId, running: typeof running === 'boolean' ? running : null };
      if (node.vm_info === null) out.vm_info = null;
      nodes.push(out);
    });
    const cardinality = role.cardinality ?? nodes.length;
    if (idOf(cardinality) === undefined) issues.push({ variable: `${where}.cardinality`, shown: shown(cardinality), expected: 'a number of VMs' });
    const roleState = role.state ?? 2;
    if (idOf(roleState) === undefined) issues.push({ variable: `${where}.state`, shown: shown(roleState), expected: 'a OneFlow role state number' });
    roles.push({ name: String(role.name), cardinality: idOf(cardinality) ?? nodes.length, state: idOf(roleState) ?? 2, nodes });
  });

  if (issues.length > 0 || serviceId === undefined) return fail();
  const name = typeof service.name === 'string' ? service.name : `service ${serviceId}`;
  return { service: { SERVICE: { id: String(serviceId), name, state: idOf(state) ?? 2, roles } }, vms };
}

/**
 * Reads a state file, YAML or JSON. JSON goes through JSON.parse first: the yaml parser reads it
 * too, but a 250-VM snapshot then takes about 150 ms and a large document tree instead of 1 ms.
 */
export async function loadEmulatorState(path: string): Promise<EmulatorState> {
  let text: string;
  try {
    // Bounded like every file from outside (the --onegate-snapshot of `plan` reads this too).
    text = (await readRegularFile(path, READ_LIMITS.oneGateBody)).toString('utf8');
  } catch (error) {
    const code = error instanceof ReadRefused ? error.message : ((error as NodeJS.ErrnoException).code ?? 'unreadable');
    throw new ConfigError([{ variable: path, shown: code, expected: 'a readable emulator state file (YAML or JSON)' }]);
  }
  let raw: unknown;
  try {
    raw = parseJsonOrYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n', 1)[0] ?? '') : String(error);
    throw new ConfigError([{ variable: path, shown: reason, expected: 'valid YAML or JSON' }]);
  }
  return validateEmulatorState(raw, path);
}

function parseJsonOrYaml(text: string): unknown {
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Flow-style YAML also starts with a brace; the yaml parser has the last word and the better message.
    }
  }
  return parseYaml(text) as unknown;
}
