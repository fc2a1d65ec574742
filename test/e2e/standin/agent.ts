// `rke2 agent`: registers with the cluster through the `server:` URL at every start (as RKE2 agents
// do), then keeps its node Ready with heartbeats to the servers it learned, like the client-side
// load balancer of a real agent.

import fs from 'node:fs/promises';
import path from 'node:path';
import { exists, fatal, knobs, log, nodeIp, parseToken, PATHS, readConfig, readyFile, sha256, sleep, SUPERVISOR_PORT, under, writeSecret } from './common.ts';
import { errorText, httpsRequest, parseJsonObject, type Answer } from './http.ts';
import { nodePassword } from './server.ts';

export async function runAgent(root: string, stopping: () => boolean): Promise<() => Promise<void>> {
  const config = await readConfig(root);
  const ip = await nodeIp(config);
  const name = config.nodeName;
  await fs.rm(readyFile(root, 'agent'), { force: true });
  if (!config.server) fatal('--server is required for an agent (server: in config.yaml)');
  const url = config.server.replace(/\/+$/, '');
  const token = parseToken(config.token);
  const before = await exists(under(root, PATHS.agentState));
  const password = await nodePassword(root);
  log('info', `Starting rke2 (stand-in) agent ${name} on ${ip}, server ${url}`);

  // Unlike a server, an agent keeps trying to reach the server until it answers.
  let ca = '';
  let servers: string[] = [];
  for (let _attempt = 0; ; _attempt++) {
    if (stopping()) return async () => undefined;
    let answer: Answer;
    try {
      answer = await httpsRequest(`${url}/cacerts`, { timeoutMs: 10_000 });
    } catch (error) {
      log('error', `failed to get CA certs from ${url}/cacerts: ${errorText(error)}`);
      await sleep(2000);
      continue;
    }
    if (answer.status !== 200) {
      log('error', `failed to get CA certs from ${url}/cacerts: HTTP ${answer.status}`);
      await sleep(2000);
      continue;
    }
    if (token.caHash !== undefined && sha256(answer.body) !== token.caHash) {
      fatal(`token CA hash mismatch: the token expects CA ${token.caHash}, ${url} served ${sha256(answer.body)}`);
    }
    ca = answer.body;
    let joined: Answer;
    try {
      joined = await httpsRequest(`${url}/v1-oneke/join`, {
        method: 'POST',
        ca,
        bearer: token.secret,
        json: { name, ip, role: 'agent', password, labels: config.nodeLabels, taints: config.nodeTaints },
        timeoutMs: 15_000,
      });
    } catch (error) {
      log('error', `registration with ${url} failed: ${errorText(error)}`);
      await sleep(2000);
      continue;
    }
    const body = parseJsonObject(joined.body);
    if (joined.status === 401) fatal(`the server at ${url} rejected the token (401 Unauthorized)`);
    if (joined.status === 403) fatal(String(body?.error ?? joined.body.trim()));
    if (joined.status !== 200) {
      log('error', `registration with ${url} failed: HTTP ${joined.status}: ${String(body?.error ?? joined.body.trim())}`);
      await sleep(2000);
      continue;
    }
    servers = Array.isArray(body?.servers) ? body.servers.filter((s): s is string => typeof s === 'string') : [];
    await writeSecret(under(root, PATHS.agentCa), ca, 0o644);
    await writeSecret(under(root, PATHS.agentState), `${JSON.stringify({ server: url, servers, uid: body?.uid }, null, 2)}\n`);
    // "joined the cluster" only the first time: a restart is the same node coming back.
    log('info', before ? `node ${name} is back in the cluster (registered before, uid ${String(body?.uid)})` : `joined the cluster through ${url} as agent ${name}`);
    break;
  }

  let warnedMissing = false;
  let next = 0;
  const beat = async (): Promise<void> => {
    const targets = [...servers.map((s) => `https://${new URL(s).hostname}:${SUPERVISOR_PORT}`), url];
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(next + i) % targets.length] as string;
      try {
        const answer = await httpsRequest(`${target}/v1-oneke/heartbeat`, { method: 'POST', ca, bearer: token.secret, json: { name }, timeoutMs: 3000 });
        if (answer.status === 404 && !warnedMissing) {
          warnedMissing = true;
          log('warning', `node ${name} not found: it was deleted from the cluster`);
        }
        if (answer.status === 200) {
          const body = parseJsonObject(answer.body);
          if (Array.isArray(body?.servers) && body.servers.length > 0) servers = body.servers.filter((s): s is string => typeof s === 'string');
          return;
        }
      } catch {
        // Next server.
      }
      next = (next + 1) % targets.length;
    }
    log('warning', `no server took the heartbeat of ${name}`);
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy || stopping()) return;
    busy = true;
    void beat().finally(() => {
      busy = false;
    });
  }, knobs.heartbeatMs);

  await fs.mkdir(path.dirname(readyFile(root, 'agent')), { recursive: true });
  await fs.writeFile(readyFile(root, 'agent'), `${process.pid}\n`);
  log('info', 'rke2 agent is up and running');
  return async () => {
    clearInterval(timer);
    await fs.rm(readyFile(root, 'agent'), { force: true });
  };
}
