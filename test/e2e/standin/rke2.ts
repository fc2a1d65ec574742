// A stand-in for RKE2 in the end-to-end tests, where the real one cannot be downloaded:
//   node test/e2e/standin/rke2.ts server|agent --root ROOT
// run inside the VM's network namespace. It reads ROOT/etc/rancher/rke2/config.yaml and behaves like
// RKE2 wherever the agent can tell: the files it writes, the token, TLS on 9345 and 6443, joins
// through the `server:` URL with real etcd membership (one joining server at a time), the node list,
// readiness (ROOT/run/rke2-standin/<role>.ready stands for the unit's sd_notify READY=1).

import path from 'node:path';
import { runAgent } from './agent.ts';
import { fatal, log } from './common.ts';
import { Rke2Server } from './server.ts';

function usage(): never {
  process.stderr.write('usage: rke2.ts server|agent [--root ROOT]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
let role: string | undefined;
let root = '/';
for (let i = 0; i < args.length; i++) {
  const arg = args[i] as string;
  if (arg === '--root') root = args[++i] ?? usage();
  else if (arg.startsWith('--root=')) root = arg.slice('--root='.length);
  else if (!arg.startsWith('-') && role === undefined) role = arg;
  else usage();
}
if (role !== 'server' && role !== 'agent') usage();
root = path.resolve(root);

process.on('unhandledRejection', (error) => fatal(`unexpected: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`));

let stopping = false;
let stop: () => Promise<void> = async () => undefined;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log('info', `received ${signal}: shutting down`);
    void stop().finally(() => process.exit(0));
  });
}

if (role === 'server') {
  const server = new Rke2Server(root);
  stop = () => server.stop();
  await server.run();
} else {
  stop = await runAgent(root, () => stopping);
}
