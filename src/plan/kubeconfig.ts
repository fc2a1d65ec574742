import { parse, stringify } from 'yaml';
import { oneLine, RuntimeProblem } from '../errors.ts';
import { isIpv4 } from '../net/address.ts';

/**
 * A kubeconfig whose every cluster points at `server` (the control-plane endpoint, not 127.0.0.1).
 * With `tlsServerName`, the client checks the API server's certificate against that name (the
 * endpoint's host, always among the server's tls-san) while it connects to the address in `server`.
 */
export function kubeconfigFor(text: string, server: string, tlsServerName?: string): string {
  let doc: { clusters?: { cluster?: Record<string, unknown> }[] } | null;
  try {
    doc = parse(text) as typeof doc;
  } catch (error) {
    throw new RuntimeProblem('ONEKE_KUBECONFIG_MALFORMED', `not a kubeconfig: ${oneLine(error)}`);
  }
  if (!doc || !Array.isArray(doc.clusters)) throw new RuntimeProblem('ONEKE_KUBECONFIG_MALFORMED', 'not a kubeconfig: no clusters');
  for (const entry of doc.clusters) {
    if (!entry.cluster) continue;
    entry.cluster.server = server;
    if (tlsServerName) entry.cluster['tls-server-name'] = tlsServerName;
    else delete entry.cluster['tls-server-name'];
  }
  return stringify(doc);
}

/**
 * The server a user outside the cluster can reach: the endpoint URL with its host name replaced by
 * the address it resolves to now (the official template's `ep0.eth0.vr` is known only to the VNF's
 * DNS; it resolves to the public VIP, else the VNF's public IP), keeping the name for TLS. An
 * address, or a name that does not resolve, is kept as it is.
 */
export function reachableServer(endpointUrl: string, address: string | undefined): { server: string; tlsServerName?: string } {
  const url = new URL(endpointUrl);
  const host = url.hostname;
  if (address === undefined || isIpv4(host) || host.startsWith('[')) return { server: endpointUrl };
  return { server: `${url.protocol}//${address}${url.port ? `:${url.port}` : ''}`, tlsServerName: host };
}

/** Whether a Kubernetes node list (GET /api/v1/nodes) has nodes and every one is Ready. */
export function allNodesReady(body: unknown): { ready: number; total: number } {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return { ready: 0, total: 0 };
  const ready = items.filter((node) =>
    ((node as { status?: { conditions?: { type?: string; status?: string }[] } }).status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
  return { ready, total: items.length };
}
