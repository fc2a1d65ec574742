// The emulator's memory: the service and its VMs, the answers OneGate builds from them, the updates
// VMs send, and the mutations tests make while it runs. No HTTP here.

import { DeadlineError } from '../errors.ts';
import { buildVmEntry, validateEmulatorState, type BuildVmSpec, type EmulatorNic, type EmulatorState, type EmulatorVm } from './state.ts';

/** An update a VM made through OneGate. */
export type EmulatorUpdate =
  | { kind: 'set'; vmId: number; by: number; route: 'PUT /vm' | 'PUT /vms/:id'; keys: Record<string, string> }
  | { kind: 'delete'; vmId: number; by: number; route: 'PUT /vm' | 'PUT /vms/:id'; key: string };

/** An answer OneGate would give: status and body. */
export interface Answer {
  status: number;
  body: string;
}

// What the real server lets through of a NIC and of a USER_TEMPLATE in GET /vm (onegate-server.rb).
const NIC_VALID_KEYS = ['IP', 'IP6_LINK', 'IP6_SITE', 'IP6_GLOBAL', 'NETWORK', 'MAC', 'NAME', 'PARENT', 'EXTERNAL', 'EXTERNAL_IP'];
const USER_TEMPLATE_HIDDEN = ['SCHED_MESSAGE'];
const RESTRICTED = ['SCHED_REQUIREMENTS', 'SERVICE_ID', 'ROLE_NAME'];

const json = (status: number, value: unknown): Answer => ({ status, body: JSON.stringify(value) });
const text = (status: number, body: string): Answer => ({ status, body });

export function createEmulatorStore(initial: EmulatorState) {
  // A private copy: the caller's object never changes under it, nor this one under the caller.
  const state = validateEmulatorState(structuredClone(initial));
  const service = state.service.SERVICE;
  const listeners = new Set<(update: EmulatorUpdate) => void>();

  const entry = (id: number | string) => (Object.hasOwn(state.vms, String(id)) ? state.vms[String(id)] : undefined);
  const findNode = (vmId: number) => {
    for (const role of service.roles) {
      const index = role.nodes.findIndex((n) => n.deploy_id === vmId);
      if (index >= 0) return { role, index, node: role.nodes[index]! };
    }
    return undefined;
  };

  const pick = (nic: EmulatorNic): Record<string, unknown> => Object.fromEntries(Object.entries(nic).filter(([k]) => NIC_VALID_KEYS.includes(k)));

  /** The body of GET /vm as build_vm_hash makes it: filtered NICs, always arrays. */
  function vmBody(vm: EmulatorVm): unknown {
    const userTemplate = Object.fromEntries(Object.entries(vm.USER_TEMPLATE).filter(([k]) => !USER_TEMPLATE_HIDDEN.includes(k)));
    return {
      VM: {
        NAME: vm.NAME,
        ID: vm.ID,
        STATE: vm.STATE,
        LCM_STATE: vm.LCM_STATE,
        USER_TEMPLATE: userTemplate,
        TEMPLATE: { NIC: (vm.TEMPLATE.NIC ?? []).map(pick), NIC_ALIAS: (vm.TEMPLATE.NIC_ALIAS ?? []).map(pick) },
      },
    };
  }

  /** The whole VM as oned's XML turned into JSON: one NIC is an object, none is absent. */
  function fullVm(vm: EmulatorVm): Record<string, unknown> {
    const copy = structuredClone(vm) as Record<string, unknown> & { TEMPLATE: Record<string, unknown> };
    for (const key of ['NIC', 'NIC_ALIAS']) {
      const items = copy.TEMPLATE[key];
      if (!Array.isArray(items) || items.length === 0) delete copy.TEMPLATE[key];
      else if (items.length === 1) copy.TEMPLATE[key] = items[0];
    }
    return copy;
  }

  const briefVm = (vm: EmulatorVm) => ({ ID: vm.ID, UID: vm.UID ?? '0', GID: vm.GID ?? '0', UNAME: vm.UNAME ?? 'oneadmin', GNAME: vm.GNAME ?? 'oneadmin', NAME: vm.NAME });

  function serviceBody(extended: boolean): unknown {
    return {
      SERVICE: {
        name: service.name,
        id: service.id,
        state: service.state,
        roles: service.roles.map((role) => ({
          name: role.name,
          cardinality: role.cardinality,
          state: role.state,
          nodes: role.nodes.map((node) => {
            const vm = entry(node.deploy_id)?.VM;
            const vmInfo = node.vm_info === null || vm === undefined ? null : { VM: extended ? fullVm(vm) : briefVm(vm) };
            return { deploy_id: node.deploy_id, running: node.running, vm_info: vmInfo };
          }),
        })),
      },
    };
  }

  /** The service checks the real server makes before answering about the service or another VM. */
  function serviceOf(source: EmulatorVm): Answer | undefined {
    const sid = source.USER_TEMPLATE.SERVICE_ID;
    if (typeof sid !== 'string' || !/^\d+$/.test(sid)) return text(400, 'Empty or invalid SERVICE_ID');
    if (sid !== service.id) return text(404, `Service ${sid} not found`);
    return undefined;
  }

  function notInService(vmId: number): Answer | undefined {
    return findNode(vmId) === undefined ? text(400, `Service ${service.id} does not contain VM ${vmId}.`) : undefined;
  }

  /** Checks for a request about VM `target` made by VM `source`. */
  function reach(source: number, target: number): Answer | undefined {
    if (source === target) return undefined;
    const src = entry(source)?.VM;
    if (src === undefined) return text(404, `Error getting virtual machine [${source}].`);
    const bad = serviceOf(src);
    if (bad) return bad;
    // The brief asks 404 for a VM nobody knows; the real server checks the service first (then 400).
    if (entry(target) === undefined) return text(404, `Error getting virtual machine [${target}].`);
    return notInService(target);
  }

  function emit(update: EmulatorUpdate): void {
    for (const listener of listeners) {
      try {
        listener(update);
      } catch {
        // A listener's bug must not turn into a OneGate error for the VM.
      }
    }
  }

  return {
    serviceId: Number(service.id),

    tokenOf: (vmId: number | string): string | undefined => entry(vmId)?.token,

    authorized(vmIdHeader: string | undefined, token: string | undefined): number | undefined {
      if (vmIdHeader === undefined || token === undefined || !/^\d{1,15}$/.test(vmIdHeader.trim())) return undefined;
      const id = Number(vmIdHeader.trim());
      return entry(id)?.token === token ? id : undefined;
    },

    getVm(source: number, target: number): Answer {
      const bad = reach(source, target);
      if (bad) return bad;
      const vm = entry(target)?.VM;
      return vm ? json(200, vmBody(vm)) : text(404, `Error getting virtual machine [${target}].`);
    },

    getService(source: number, extended: boolean): Answer {
      const src = entry(source)?.VM;
      if (src === undefined) return text(404, `Error getting virtual machine [${source}].`);
      return serviceOf(src) ?? notInService(source) ?? json(200, serviceBody(extended));
    },

    /** PUT: `type` 1 merges `data` lines `K=V`; any other type deletes the key named by `data`. */
    update(source: number, target: number, route: 'PUT /vm' | 'PUT /vms/:id', type: number, data: string): Answer {
      const bad = reach(source, target);
      if (bad) return bad;
      const vm = entry(target)?.VM;
      if (vm === undefined) return text(404, `Error getting virtual machine [${target}].`);
      if (type === 1) {
        const keys: Record<string, string> = {};
        for (const line of data.split('\n')) {
          const clean = line.replace(/\r$/, '');
          if (clean.trim() === '') continue;
          const eq = clean.indexOf('=');
          const key = (eq > 0 ? clean.slice(0, eq) : clean).trim().toUpperCase();
          if (eq <= 0 || !/^[A-Z_][A-Z0-9_]*$/.test(key)) return text(500, `Error parsing the template: ${JSON.stringify(clean.slice(0, 40))}`);
          if (RESTRICTED.includes(key)) return text(403, `Attribute (${key}) cannot be modified`);
          keys[key] = clean.slice(eq + 1);
        }
        if (Object.keys(keys).length === 0) return text(200, '');
        Object.assign(vm.USER_TEMPLATE, keys);
        emit({ kind: 'set', vmId: target, by: source, route, keys });
        return text(200, '');
      }
      const key = data.trim().toUpperCase();
      if (RESTRICTED.includes(key)) return text(403, `Attribute (${key}) cannot be deleted`);
      if (!Object.hasOwn(vm.USER_TEMPLATE, key)) return text(500, 'attribute not found');
      delete vm.USER_TEMPLATE[key];
      emit({ kind: 'delete', vmId: target, by: source, route, key });
      return text(200, '');
    },

    // --- mutations while running (tests, demos); they emit no update events ---

    /** Adds a VM to a role (scale up); returns its token. */
    addVm(roleName: string, spec: BuildVmSpec): string {
      const role = service.roles.find((r) => r.name === roleName);
      if (role === undefined) throw new RangeError(`no role ${roleName} in service ${service.id}`);
      if (entry(spec.id) !== undefined) throw new RangeError(`VM ${spec.id} exists already`);
      const vm = buildVmEntry(service.id, roleName, role.nodes.length, spec);
      state.vms[String(spec.id)] = vm;
      role.nodes.push({ deploy_id: spec.id, running: true });
      role.cardinality += 1;
      return vm.token;
    },

    /** Removes a VM from its role and from the VMs (scale down, or a VM terminated). */
    removeVm(vmId: number): boolean {
      const found = findNode(vmId);
      if (found) {
        found.role.nodes.splice(found.index, 1);
        found.role.cardinality = Math.max(0, found.role.cardinality - 1);
      }
      const known = entry(vmId) !== undefined;
      delete state.vms[String(vmId)];
      return found !== undefined || known;
    },

    setUserTemplate(vmId: number, key: string, value: string): void {
      const vm = entry(vmId)?.VM;
      if (vm === undefined) throw new RangeError(`no VM ${vmId}`);
      vm.USER_TEMPLATE[key] = value;
    },

    deleteUserTemplate(vmId: number, key: string): void {
      const vm = entry(vmId)?.VM;
      if (vm === undefined) throw new RangeError(`no VM ${vmId}`);
      delete vm.USER_TEMPLATE[key];
    },

    /** OpenNebula issue 6406: the node's vm_info is null (in plain and extended answers here). */
    nodeVmInfoNull(vmId: number, isNull = true): void {
      const found = findNode(vmId);
      if (found === undefined) throw new RangeError(`no node with VM ${vmId}`);
      if (isNull) found.node.vm_info = null;
      else delete found.node.vm_info;
    },

    setRunning(vmId: number, running: boolean | null): void {
      const found = findNode(vmId);
      if (found === undefined) throw new RangeError(`no node with VM ${vmId}`);
      found.node.running = running;
    },

    /** A copy of one VM as held (the full record), or undefined. */
    vm: (vmId: number): EmulatorVm | undefined => {
      const vm = entry(vmId)?.VM;
      return vm ? structuredClone(vm) : undefined;
    },

    /** A deep copy of the whole state, in the loadable format. */
    snapshot: (): EmulatorState => structuredClone(state),

    onUpdate(listener: (update: EmulatorUpdate) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Resolves with the first update that matches, e.g. VM 3 publishing ONEGATE_K8S_MASTER. */
    waitForUpdate(match: (update: EmulatorUpdate) => boolean, timeoutMs = 5_000, what = 'a OneGate update'): Promise<EmulatorUpdate> {
      return new Promise((resolve, reject) => {
        const listener = (update: EmulatorUpdate): void => {
          if (!match(update)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(update);
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new DeadlineError(what, timeoutMs / 1000));
        }, timeoutMs);
        listeners.add(listener);
      });
    },
  };
}

export type EmulatorStore = ReturnType<typeof createEmulatorStore>;
