// Tiny TCP programs for the namespace tests, run with the test's own Node (`process.execPath -e`), so
// nothing beyond Node, iproute2 and the daemons under test is needed.

import type { NetProcess, TestNet } from '../../support/netns.ts';

/** Answers every connection with `<label> <peer address>` and closes: who served, and whom it saw. */
const SERVER = `
const net = require('node:net');
const [label, port, host] = process.argv.slice(1);
net.createServer((socket) => {
  socket.on('error', () => {});
  socket.end(label + ' ' + socket.remoteAddress + '\\n');
}).listen(Number(port), host, () => console.log('listening on ' + host + ':' + port));
`;

/** Connects once, prints what the server said (exit 0) or the error (exit 1). */
const CLIENT = `
const net = require('node:net');
const [host, port, timeout] = process.argv.slice(1);
let data = '';
const socket = net.connect({ host, port: Number(port) });
socket.setTimeout(Number(timeout), () => { console.log('error timeout'); process.exit(1); });
socket.on('data', (chunk) => { data += chunk; });
socket.on('end', () => { if (data) { console.log(data.trim()); process.exit(0); } console.log('error empty'); process.exit(1); });
socket.on('error', (error) => { console.log('error ' + (error.code || error.message)); process.exit(1); });
`;

/** Connects again and again, one JSON line per attempt: {start, end, ok, data | err}. */
const PROBER = `
const net = require('node:net');
const [host, port, interval] = process.argv.slice(1);
function attempt() {
  const start = Date.now();
  let data = '';
  let done = false;
  const socket = net.connect({ host, port: Number(port) });
  const finish = (result) => {
    if (done) return;
    done = true;
    socket.destroy();
    console.log(JSON.stringify({ start, end: Date.now(), ...result }));
    setTimeout(attempt, Number(interval));
  };
  socket.setTimeout(500, () => finish({ ok: false, err: 'timeout' }));
  socket.on('data', (chunk) => { data += chunk; });
  socket.on('end', () => finish(data ? { ok: true, data: data.trim() } : { ok: false, err: 'closed without data' }));
  socket.on('error', (error) => finish({ ok: false, err: error.code || error.message }));
}
attempt();
`;

export async function startServer(net: TestNet, ns: string, label: string, port: number, host = '0.0.0.0'): Promise<NetProcess> {
  const server = net.spawn(ns, process.execPath, ['-e', SERVER, label, String(port), host], `server ${label} on ${host}:${port}`);
  await server.waitFor(/listening/);
  return server;
}

/** One connection from `ns`; the server's answer, or undefined when it failed. */
export async function connectOnce(net: TestNet, ns: string, host: string, port: number, timeoutMs = 1000): Promise<string | undefined> {
  const result = await net.run(ns, process.execPath, ['-e', CLIENT, host, String(port), String(timeoutMs)], { reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

export interface ProbeLine {
  readonly start: number;
  readonly end: number;
  readonly ok: boolean;
  readonly data?: string;
  readonly err?: string;
}

export function startProber(net: TestNet, ns: string, host: string, port: number, intervalMs = 100): NetProcess {
  return net.spawn(ns, process.execPath, ['-e', PROBER, host, String(port), String(intervalMs)], `prober ${host}:${port}`);
}

export function probeLines(prober: NetProcess): ProbeLine[] {
  return prober
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ProbeLine);
}
