// `oneke dev onegate --state FILE --listen ADDR`: load a state file and serve it. The CLI wiring
// lives elsewhere; this prints nothing and leaves the process alone.

import { UsageError } from '../errors.ts';
import { startEmulator, type EmulatorHandle } from './server.ts';
import { loadEmulatorState } from './state.ts';

/** `host:port`, `[v6]:port` or `:port` (127.0.0.1). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new UsageError(`--listen ${JSON.stringify(listen)}: expected host:port, e.g. 127.0.0.1:5030`);
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export async function runEmulatorCommand({ stateFile, listen }: { stateFile: string; listen: string }): Promise<EmulatorHandle> {
  const { host, port } = parseListen(listen);
  const state = await loadEmulatorState(stateFile);
  return startEmulator({ state, host, port });
}
