// Shared setup of the OneGate integration tests: a OneKE-like service, clients on the emulator, a
// logger that records, and cleanup of everything started.

import { afterEach } from 'vitest';
import { buildServiceState, startEmulator, type EmulatorHandle, type EmulatorOptions, type EmulatorState } from '../../../src/emulator/index.ts';
import { createOneGateClient, type OneGateClient, type OneGateClientOptions, type OneGateLogger } from '../../../src/onegate/index.ts';

/** Service 10: vnf VM 0 (public + private NIC), master VM 1, workers VMs 2 and 4, storage VM 3. */
export function oneKeState(): EmulatorState {
  return buildServiceState({
    serviceId: 10,
    roles: [
      { name: 'vnf', vms: [{ id: 0, nics: [{ ip: '192.168.150.100', network: 'public' }, { ip: '172.20.0.100' }] }] },
      { name: 'master', vms: [{ id: 1, ip: '172.20.0.101' }] },
      {
        name: 'worker',
        vms: [
          { id: 2, ip: '172.20.0.102' },
          { id: 4, ip: '172.20.0.104' },
        ],
      },
      { name: 'storage', vms: [{ id: 3, ip: '172.20.0.103' }] },
    ],
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  const all = cleanups.splice(0).reverse();
  for (const fn of all) await fn();
});

export async function emulator(options: Partial<EmulatorOptions> = {}): Promise<EmulatorHandle> {
  const emu = await startEmulator({ state: oneKeState(), ...options });
  cleanups.push(() => emu.close());
  return emu;
}

/** A client of VM `vmId` with fast retries; `options` override. */
export function clientOf(emu: EmulatorHandle, vmId: number, options: Partial<OneGateClientOptions> = {}): OneGateClient {
  const client = createOneGateClient({
    endpoint: emu.url,
    vmId,
    token: emu.tokenOf(vmId) ?? 'no-such-token',
    timeoutMs: 2_000,
    retry: { attempts: 4, initialMs: 1, maxMs: 5, deadlineMs: 10_000 },
    ...options,
  });
  cleanups.push(() => client.close());
  return client;
}

export function track(close: () => Promise<void>): void {
  cleanups.push(close);
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn';
  obj: object;
  msg: string;
}

export function recordingLogger(onLine?: (line: LogLine) => void): OneGateLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg: string) => {
    const line = { level, obj, msg };
    lines.push(line);
    onLine?.(line);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn') };
}

/** The rejection of a promise, to assert on; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
