import fs from 'node:fs/promises';
import path from 'node:path';
import type { EmulatorState } from '../../src/emulator/index.ts';
import { BINARY } from './binary.ts';
import type { NetProcess, TestNet } from './netns.ts';

/** A OneGate emulator (`oneke dev onegate`) inside a namespace, reachable there at 127.0.0.1:5030. */
export async function onegateInNamespace(net: TestNet, ns: string, state: EmulatorState, dir: string): Promise<{ url: string; process: NetProcess }> {
  const file = path.join(dir, 'onegate-state.json');
  await fs.writeFile(file, JSON.stringify(state));
  const process = net.spawn(ns, BINARY, ['dev', 'onegate', '--state', file, '--listen', '127.0.0.1:5030'], `onegate in ${ns}`);
  await process.waitFor(/listening on/, 15_000);
  return { url: 'http://127.0.0.1:5030', process };
}

/** What `GET /vm` answers VM `vmId` in namespace `ns` (asked from inside it). */
export async function vmSeenFrom(net: TestNet, ns: string, url: string, vmId: number, token: string): Promise<Record<string, string>> {
  const script = `fetch(${JSON.stringify(`${url}/vm`)}, { headers: { 'X-ONEGATE-TOKEN': ${JSON.stringify(token)}, 'X-ONEGATE-VMID': '${vmId}' } }).then((r) => r.json()).then((b) => console.log(JSON.stringify(b.VM.USER_TEMPLATE)))`;
  const result = await net.run(ns, process.execPath, ['-e', script]);
  return JSON.parse(result.stdout) as Record<string, string>;
}

/** A systemctl that only records its calls, one line each, in `log`. */
export async function recordingSystemctl(dir: string): Promise<{ path: string; calls: () => Promise<string[]> }> {
  const log = path.join(dir, 'systemctl.calls');
  const script = path.join(dir, 'systemctl');
  await fs.writeFile(script, `#!/bin/sh\necho "$*" >> '${log}'\n`, { mode: 0o755 });
  return { path: script, calls: async () => (await fs.readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean) };
}
