import { escapeInvisible } from '../config/show-value.ts';
import { decideJoin, isReady, mastersOf, type K8sRole } from '../roles/kubernetes/join-order.ts';
import { ONEGATE_K8S_NODE_NAME, ONEKE_ERROR, ONEKE_STATUS } from '../onegate/keys.ts';
import type { ServiceRecord } from '../onegate/parse.ts';

// `oneke status --service`: the whole service as one GET /service?extended=true shows it, each VM
// with what it waits for, taken from the same join-order decision the roles make. Pure.

/** One VM of the service, as printed. Values from OneGate are kept raw here and escaped when printed. */
export interface VmStatus {
  role: string;
  vmId: number | undefined;
  name: string | undefined;
  /** Every IPv4 of its NICs, in OneGate's order. */
  ips: string[];
  nodeName: string | undefined;
  ready: boolean;
  /** ONEKE_STATUS (`success`, `failure`) and ONEKE_ERROR as published. */
  status: string | undefined;
  error: string | undefined;
  /** For a node that is not READY: what the join order says it does now (`wait`, `initialise`, …). */
  next: string | undefined;
  /** For a waiting node: what it waits for. */
  waitsFor: string | undefined;
  /** False when OneGate gave no full VM for the node (vm_info null during instantiation). */
  known: boolean;
}

export interface ServiceStatus {
  id: number;
  name: string;
  state: string | undefined;
  roles: { name: string; cardinality: number; vms: VmStatus[] }[];
}

/** OneFlow's service states (lib/models/service.rb). */
const SERVICE_STATES = ['PENDING', 'DEPLOYING', 'RUNNING', 'UNDEPLOYING', 'WARNING', 'DONE', 'FAILED_UNDEPLOYING', 'FAILED_DEPLOYING', 'SCALING', 'FAILED_SCALING', 'COOLDOWN'];

const K8S_ROLES: readonly string[] = ['master', 'worker', 'storage'] satisfies K8sRole[];

/**
 * The status of every VM. What a node that is not READY waits for comes from decideJoin, seen from
 * outside: a master that publishes its IP and token counts as answering on 6443 (only the node
 * itself can probe that), so a node shown as able to join is joining or about to.
 */
export function serviceStatus(service: ServiceRecord): ServiceStatus {
  const masters = mastersOf(service);
  const reachable = new Set(masters.filter((m) => m.ip && m.token).map((m) => m.vmId));
  return {
    id: service.id,
    name: service.name,
    state: service.state === undefined ? undefined : (SERVICE_STATES[service.state] ?? String(service.state)),
    roles: service.roles.map((role) => ({
      name: role.name,
      cardinality: role.cardinality,
      vms: role.nodes.map((node): VmStatus => {
        const vm = node.vm;
        const template = vm?.userTemplate ?? {};
        const ready = vm ? isReady(vm) : false;
        let next: string | undefined;
        let waitsFor: string | undefined;
        if (vm && !ready && K8S_ROLES.includes(role.name)) {
          const decision = decideJoin({ role: role.name as K8sRole, self: vm, masters, reachable });
          next = decision.kind;
          if (decision.kind === 'wait') waitsFor = decision.reason;
        }
        return {
          role: role.name,
          vmId: node.vmId ?? vm?.id,
          name: vm?.name ?? node.name,
          ips: (vm?.nics ?? []).flatMap((nic) => (nic.ip ? [nic.ip] : [])),
          nodeName: template[ONEGATE_K8S_NODE_NAME] || undefined,
          ready,
          status: template[ONEKE_STATUS] || undefined,
          error: template[ONEKE_ERROR] || undefined,
          next,
          waitsFor,
          known: vm?.complete ?? false,
        };
      }),
    })),
  };
}

/** Whether a VM of the service reports a failure (for the exit code). */
export function anyFailure(status: ServiceStatus): boolean {
  return status.roles.some((role) => role.vms.some((vm) => vm.status === 'failure'));
}

/** Text from OneGate made safe for a terminal: control and invisible characters escaped, one line, bounded. */
export function printable(value: string, maxLength = 300): string {
  const escaped = escapeInvisible(JSON.stringify(value).slice(1, -1)).replaceAll('\\"', '"').replaceAll('\\\\', '\\');
  return escaped.length > maxLength ? `${escaped.slice(0, maxLength - 1)}…` : escaped;
}

/** The table for people: one line per VM, then what it waits for or its error, indented below. */
export function serviceStatusText(status: ServiceStatus): string {
  const dash = (value: string | undefined) => (value === undefined || value === '' ? '-' : printable(value, 60));
  type Entry = { cells: string[]; notes: string[] } | { line: string };
  const entries: Entry[] = [{ cells: ['ROLE', 'VM', 'IP', 'NODE', 'READY', 'STATUS'], notes: [] }];
  for (const role of status.roles) {
    if (role.vms.length === 0) entries.push({ line: `${printable(role.name, 20)}: no VMs yet${role.cardinality > 0 ? ` (cardinality ${role.cardinality})` : ''}` });
    for (const vm of role.vms) {
      const notes: string[] = [];
      if (!vm.known) notes.push('OneGate gives no details of this VM yet');
      if (vm.waitsFor) notes.push(`waits for ${printable(vm.waitsFor)}`);
      else if (vm.next && vm.status !== 'failure') notes.push(`${vm.next}: free to go ahead (joining, or about to)`);
      if (vm.error) notes.push(`error: ${printable(vm.error, 400)}`);
      const cells = [
        printable(role.name, 20),
        vm.vmId === undefined ? '?' : String(vm.vmId),
        vm.ips.length > 0 ? printable(vm.ips.join(','), 60) : '-',
        dash(vm.nodeName),
        vm.ready ? 'YES' : 'no',
        dash(vm.status),
      ];
      entries.push({ cells, notes });
    }
  }
  const rows = entries.flatMap((e) => ('cells' in e ? [e.cells] : []));
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = [`service ${status.id} ${printable(status.name, 80)}${status.state ? ` (${status.state})` : ''}`];
  for (const entry of entries) {
    if ('line' in entry) {
      lines.push(entry.line);
      continue;
    }
    lines.push(
      entry.cells
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
    for (const note of entry.notes) lines.push(`    ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

/** JSON for machines, with the same characters escaped (still valid JSON). */
export function serviceStatusJson(status: ServiceStatus): string {
  return `${escapeInvisible(JSON.stringify(status, (_key, value: unknown) => (value === undefined ? null : value), 2))}\n`;
}
