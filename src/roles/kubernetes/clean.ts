import { isReady, ONEGATE_K8S_NODE_NAME, READY, ROLE_NAME } from '../../onegate/keys.ts';
import type { ServiceRecord, VmRecord } from '../../onegate/parse.ts';
import type { Action, Plan } from '../../plan/plan.ts';
import { staleNodes } from './stale-nodes.ts';

// The decision of the cleaner (`oneke clean`, run in src/steps/clean.ts): which Kubernetes nodes to
// delete, as a plan of `delete-node` actions the executor applies. Pure: OneGate's answer and the
// node list come in, the plan and the lines to log come out.

const MASTER = 'master';

/** A line the run logs and prints: why nothing is deleted, or a node kept on purpose. */
export interface CleanNote {
  level: 'info' | 'warn';
  line: string;
  node?: string;
}

/** Before the Kubernetes API is opened: the reason this VM does not clean, if it does not. */
export function cleanerSkip(self: VmRecord): string | undefined {
  // The timer runs on every VM of the image; only masters clean.
  if (self.userTemplate[ROLE_NAME] !== MASTER) return 'not a master: nothing to clean';
  if (!isReady(self.userTemplate[READY])) return 'this master is not READY yet: nothing to clean';
  return undefined;
}

/** A Kubernetes node as the cleaner sees it. */
export interface ListedNode {
  name: string;
  uid: string;
  ready: boolean | undefined;
}

/**
 * The plan of one run on a READY master: delete the listed `oneke-ip-*` nodes no VM claims. A
 * service answer that is missing (`why` says why) or incomplete gives an empty plan and a warning.
 */
export function planClean(self: VmRecord, nodes: readonly ListedNode[], service: ServiceRecord | undefined, why = ''): { plan: Plan; notes: CleanNote[] } {
  const selfNodeName = self.userTemplate[ONEGATE_K8S_NODE_NAME]?.trim() || undefined;
  const verdict = staleNodes(
    nodes.map((n) => n.name),
    service,
    { selfVmId: self.id, selfNodeName, readyNodes: nodes.filter((n) => n.ready === true).map((n) => n.name) },
  );
  const empty = (kind: string, reason: string): Plan => ({ role: 'master', decision: { kind, reason }, actions: [] });
  if ('refuse' in verdict) {
    const line = `nothing deleted: ${verdict.refuse}${why}`;
    return { plan: empty('refuse', line), notes: [{ level: 'warn', line }] };
  }
  const notes: CleanNote[] = verdict.keptReady.map((name) => ({
    level: 'warn',
    node: name,
    line: `kept node ${name}: no VM of the service claims it, but it is still Ready`,
  }));
  if (verdict.delete.length === 0) {
    if (verdict.keptReady.length === 0) notes.push({ level: 'info', line: 'no stale node' });
    return { plan: empty('nothing', notes.length > 0 ? 'no node to delete' : 'no stale node'), notes };
  }
  const actions: Action[] = verdict.delete.map((name) => {
    const uid = nodes.find((n) => n.name === name)?.uid;
    return { kind: 'delete-node', name, ...(uid === undefined ? {} : { uid }) };
  });
  return { plan: { role: 'master', decision: { kind: 'clean', reason: `${actions.length} Kubernetes node(s) that no VM of the service claims` }, actions }, notes };
}
