// Raw OneGate JSON → typed records. Pure. Tolerant of what real servers send (IDs as strings, one NIC
// as an object instead of an array, vm_info null during instantiation: OpenNebula issue 6406, missing
// TEMPLATE), strict about what makes an answer useless (no VM, no SERVICE, roles not a list): those
// throw OneGateAnswerError, which the client retries. Nothing here may throw a TypeError.

import { OneGateAnswerError } from './answer-error.ts';

export interface Nic {
  ip?: string;
  ip6Global?: string;
  ip6Ula?: string;
  ip6Link?: string;
  ip6Site?: string;
  mac?: string;
  /** The NIC's name in OpenNebula (NIC0, NIC1…), not the guest interface name. */
  name?: string;
  /** The virtual network's name. */
  network?: string;
  /** EXTERNAL=YES: the address is not configured inside the guest. */
  external?: boolean;
  externalIp?: string;
  /** For a NIC alias: the NAME of the NIC it hangs on. */
  parent?: string;
}

export interface VmRecord {
  id: number;
  name: string;
  /** OpenNebula's numeric VM state, as the string it comes as ("3" is ACTIVE). */
  state?: string;
  lcmState?: string;
  /** Scalar USER_TEMPLATE values as strings; vector attributes are left out. */
  userTemplate: Record<string, string>;
  nics: Nic[];
  nicAliases: Nic[];
  /** False when the answer held only ids and names (no USER_TEMPLATE and no TEMPLATE). */
  complete: boolean;
}

/** What a node's vm_info held: a full VM, only ids and names, or nothing (null or absent). */
export type VmInfoKind = 'full' | 'brief' | 'missing';

export interface NodeRecord {
  /** The VM ID OneFlow deployed for this node. */
  deployId?: number;
  running?: boolean;
  /** From vm_info, else deploy_id. */
  vmId?: number;
  name?: string;
  vmInfo: VmInfoKind;
  /** Present when the full VM is known (an extended answer, or filled in by the client). */
  vm?: VmRecord;
}

export interface RoleRecord {
  name: string;
  cardinality: number;
  state?: number;
  nodes: NodeRecord[];
}

export interface ServiceRecord {
  id: number;
  name: string;
  state?: number;
  roles: RoleRecord[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Strings as they are; numbers and booleans as text; anything else is absent. */
function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'YES' : 'NO';
  return undefined;
}

/** A non-negative integer from a number or a string of digits. */
function toId(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\s*\d{1,15}\s*$/.test(value)) return Number(value);
  return undefined;
}

function toBool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'yes' || v === 'true' || v === '1') return true;
    if (v === 'no' || v === 'false' || v === '0') return false;
  }
  return undefined;
}

/** OpenNebula's XML→JSON gives an object for one element and an array for several. */
function list(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null || value === '') return [];
  return [value];
}

function parseNic(raw: unknown): Nic | undefined {
  if (!isObject(raw)) return undefined;
  const nic: Nic = {};
  const set = (key: keyof Omit<Nic, 'external'>, from: string): void => {
    const v = scalar(field(raw, from));
    if (v !== undefined && v !== '') nic[key] = v;
  };
  set('ip', 'IP');
  set('ip6Global', 'IP6_GLOBAL');
  set('ip6Ula', 'IP6_ULA');
  set('ip6Link', 'IP6_LINK');
  set('ip6Site', 'IP6_SITE');
  set('mac', 'MAC');
  set('name', 'NAME');
  set('network', 'NETWORK');
  set('externalIp', 'EXTERNAL_IP');
  set('parent', 'PARENT');
  const external = toBool(field(raw, 'EXTERNAL'));
  if (external !== undefined) nic.external = external;
  return nic;
}

function parseNics(value: unknown): Nic[] {
  const nics: Nic[] = [];
  for (const item of list(value)) {
    const nic = parseNic(item);
    if (nic) nics.push(nic);
  }
  return nics;
}

function parseUserTemplate(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [key, raw] of Object.entries(value)) {
    const v = scalar(raw);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** The object under `VM`, wherever it comes from. */
export function parseVm(raw: unknown, where = 'VM'): VmRecord {
  if (!isObject(raw)) throw new OneGateAnswerError(where, 'an object');
  const id = toId(field(raw, 'ID'));
  if (id === undefined) throw new OneGateAnswerError(`${where}.ID`, 'a VM ID');
  const userTemplate = field(raw, 'USER_TEMPLATE');
  const template = field(raw, 'TEMPLATE');
  const vm: VmRecord = {
    id,
    name: scalar(field(raw, 'NAME')) ?? '',
    userTemplate: parseUserTemplate(userTemplate),
    nics: isObject(template) ? parseNics(field(template, 'NIC')) : [],
    nicAliases: isObject(template) ? parseNics(field(template, 'NIC_ALIAS')) : [],
    complete: isObject(userTemplate) || isObject(template),
  };
  const state = scalar(field(raw, 'STATE'));
  if (state !== undefined) vm.state = state;
  const lcmState = scalar(field(raw, 'LCM_STATE'));
  if (lcmState !== undefined) vm.lcmState = lcmState;
  return vm;
}

/** The body of `GET /vm` or `GET /vms/<id>`: `{"VM": {…}}`. */
export function parseVmAnswer(raw: unknown): VmRecord {
  if (!isObject(raw)) throw new OneGateAnswerError('answer', 'an object with VM');
  return parseVm(field(raw, 'VM'), 'VM');
}

function parseNode(raw: unknown, where: string): NodeRecord {
  if (!isObject(raw)) throw new OneGateAnswerError(where, 'an object');
  const node: NodeRecord = { vmInfo: 'missing' };
  const deployId = toId(field(raw, 'deploy_id'));
  if (deployId !== undefined) node.deployId = deployId;
  const running = toBool(field(raw, 'running'));
  if (running !== undefined) node.running = running;

  const info = field(raw, 'vm_info');
  const vmRaw = isObject(info) ? field(info, 'VM') : undefined;
  // A vm_info without a usable VM is treated like a null one: the node is known by deploy_id only.
  if (isObject(vmRaw) && toId(field(vmRaw, 'ID')) !== undefined) {
    const vm = parseVm(vmRaw, `${where}.vm_info.VM`);
    node.vmId = vm.id;
    if (vm.name) node.name = vm.name;
    if (vm.complete) {
      node.vmInfo = 'full';
      node.vm = vm;
    } else {
      node.vmInfo = 'brief';
    }
  } else if (deployId !== undefined) {
    node.vmId = deployId;
  }
  return node;
}

function parseRole(raw: unknown, where: string): RoleRecord {
  if (!isObject(raw)) throw new OneGateAnswerError(where, 'an object');
  const name = scalar(field(raw, 'name'));
  if (name === undefined || name === '') throw new OneGateAnswerError(`${where}.name`, 'a role name');
  const nodesRaw = field(raw, 'nodes');
  if (nodesRaw !== undefined && nodesRaw !== null && !Array.isArray(nodesRaw)) {
    throw new OneGateAnswerError(`${where}.nodes`, 'a list');
  }
  const nodes = (nodesRaw ?? []).map((n, i) => parseNode(n, `${where}.nodes[${i}]`));
  const role: RoleRecord = { name, cardinality: toId(field(raw, 'cardinality')) ?? nodes.length, nodes };
  const state = toId(field(raw, 'state'));
  if (state !== undefined) role.state = state;
  return role;
}

/** The body of `GET /service` (plain or extended): `{"SERVICE": {…}}`. */
export function parseServiceAnswer(raw: unknown): ServiceRecord {
  if (!isObject(raw)) throw new OneGateAnswerError('answer', 'an object with SERVICE');
  const svc = field(raw, 'SERVICE');
  if (!isObject(svc)) throw new OneGateAnswerError('SERVICE', 'an object');
  const id = toId(field(svc, 'id'));
  if (id === undefined) throw new OneGateAnswerError('SERVICE.id', 'a service ID');
  const rolesRaw = field(svc, 'roles');
  if (!Array.isArray(rolesRaw)) throw new OneGateAnswerError('SERVICE.roles', 'a list');
  const service: ServiceRecord = {
    id,
    name: scalar(field(svc, 'name')) ?? '',
    roles: rolesRaw.map((r, i) => parseRole(r, `SERVICE.roles[${i}]`)),
  };
  const state = toId(field(svc, 'state'));
  if (state !== undefined) service.state = state;
  return service;
}

/**
 * Whether an answer to `GET /service?extended=true` really is extended: no node carries a brief
 * vm_info (ids and names only). A server that ignores `extended` sends brief ones; nodes whose
 * vm_info is null say nothing either way.
 */
export function isExtendedAnswer(service: ServiceRecord): boolean {
  return service.roles.every((role) => role.nodes.every((node) => node.vmInfo !== 'brief'));
}

/** JSON text → unknown, with a OneGateAnswerError (retryable) instead of a SyntaxError. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Only the first few characters: enough to tell an HTML error page from cut JSON, too few to
    // leak a secret of the answer. The SyntaxError is not kept: its message quotes the text.
    const start = JSON.stringify(text.slice(0, 12));
    throw new OneGateAnswerError('answer', `JSON, got ${text.length} bytes starting with ${start}`);
  }
}
