import net from 'node:net';
import { allNodesReady } from '../plan/kubeconfig.ts';
import type { Probe } from '../plan/plan.ts';
import type { Host } from './host.ts';

// Looks at the world for waits: a file, a TCP port, an HTTPS endpoint. Each answers true or false
// and never throws for an absent or refusing peer.

export async function tcpAccepts(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface HttpsProbe {
  url: string;
  /** VM paths of PEM files (read through the host, so under its root). */
  ca?: string;
  cert?: string;
  key?: string;
  timeoutMs?: number;
}

/** The status and body of a GET with optional client certificate, or undefined when no answer came. */
export async function httpsGet(host: Host, probe: HttpsProbe): Promise<{ status: number; body: string } | undefined> {
  const read = async (p: string | undefined) => (p ? await host.readFile(p) : undefined);
  const [ca, cert, key] = await Promise.all([read(probe.ca), read(probe.cert), read(probe.key)]);
  // Loaded on the first HTTPS probe: most commands make none.
  const { Agent, request } = await import('./undici-core.ts');
  const dispatcher = new Agent({
    connect: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), timeout: probe.timeoutMs ?? 3_000 },
    headersTimeout: probe.timeoutMs ?? 3_000,
    bodyTimeout: probe.timeoutMs ?? 3_000,
  });
  try {
    const answer = await request(probe.url, { dispatcher });
    return { status: answer.statusCode, body: await answer.body.text() };
  } catch {
    return undefined;
  } finally {
    await dispatcher.close();
  }
}

/** Whether a probe holds right now; files are looked up through the host (under its root). */
export async function probeHolds(host: Host, probe: Probe): Promise<boolean> {
  switch (probe.kind) {
    case 'file':
      return (await host.stat(probe.path)) !== undefined;
    case 'tcp':
      return tcpAccepts(probe.host, probe.port);
    case 'https':
      return (await httpsGet(host, probe))?.status === 200;
    case 'nodes-ready': {
      const answer = await httpsGet(host, probe);
      if (answer?.status !== 200) return false;
      try {
        const { ready, total } = allNodesReady(JSON.parse(answer.body));
        return total > 0 && ready === total;
      } catch {
        return false;
      }
    }
  }
}
