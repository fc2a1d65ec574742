import { parse, stringify } from 'yaml';

/** A kubeconfig whose every cluster points at `server` (the control-plane endpoint, not 127.0.0.1). */
export function kubeconfigFor(text: string, server: string): string {
  const doc = parse(text) as { clusters?: { cluster?: { server?: string } }[] } | null;
  if (!doc || !Array.isArray(doc.clusters)) throw new Error('not a kubeconfig: no clusters');
  for (const entry of doc.clusters) if (entry.cluster) entry.cluster.server = server;
  return stringify(doc);
}

/** Whether a Kubernetes node list (GET /api/v1/nodes) has nodes and every one is Ready. */
export function allNodesReady(body: unknown): { ready: number; total: number } {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return { ready: 0, total: 0 };
  const ready = items.filter((node) =>
    ((node as { status?: { conditions?: { type?: string; status?: string }[] } }).status?.conditions ?? []).some(
      (c) => c.type === 'Ready' && c.status === 'True',
    ),
  ).length;
  return { ready, total: items.length };
}
