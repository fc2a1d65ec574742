// `oneke dev onegate --state FILE --listen ADDR`: load a state file and serve it. The CLI wiring
// lives elsewhere; this prints nothing and leaves the process alone.

import { RuntimeProblem, UsageError } from '../errors.ts';
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
  try {
    return await startEmulator({ state, host, port });
  } catch (error) {
    throw listenProblem(listen, error);
  }
}

/** A failed listen as one line: a wrong address is bad input (exit 2), a busy port a runtime failure (exit 1). */
export function listenProblem(listen: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const shown = JSON.stringify(listen);
  switch (code) {
    case 'EADDRINUSE':
      return new RuntimeProblem('ONEKE_LISTEN', `--listen ${shown}: the port is in use by another program`);
    case 'EACCES':
    case 'EPERM':
      return new RuntimeProblem('ONEKE_LISTEN', `--listen ${shown}: permission denied (ports below 1024 need root)`);
    case 'EADDRNOTAVAIL':
      return new UsageError(`--listen ${shown}: expected an address of this machine (this one is not)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new UsageError(`--listen ${shown}: expected an IP address or a name that resolves (${code})`);
    case 'EAFNOSUPPORT':
    case 'EINVAL':
      return new UsageError(`--listen ${shown}: expected an address this machine can listen on (${code})`);
    default:
      return new RuntimeProblem('ONEKE_LISTEN', `--listen ${shown}: cannot listen (${code ?? (error instanceof Error ? error.message : String(error))})`);
  }
}
