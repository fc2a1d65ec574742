import { describe, expect, it } from 'vitest';
import { OneGateError } from '../../../src/errors.ts';
import type { EmulatorUpdate } from '../../../src/emulator/index.ts';
import { clientOf, emulator } from './helpers.ts';

describe('OneGate client under injected faults', () => {
  it('200 mixed calls with 30% faults: each succeeds after retries, counts add up', async () => {
    const emu = await emulator({
      faults: { seed: 20240611, drop: 0.09, error5xx: 0.09, malformed: 0.08, notFound404: 0.04, delayMs: { rate: 0.07, ms: 25 } },
    });
    const updates: EmulatorUpdate[] = [];
    emu.onUpdate((u) => updates.push(u));
    const vmIds = [0, 1, 2, 3, 4];
    const clients = vmIds.map((id) => clientOf(emu, id, { timeoutMs: 2_000, retry: { attempts: 14, initialMs: 1, maxMs: 8, deadlineMs: 30_000 } }));

    const calls = 200;
    let next = 0;
    let succeeded = 0;
    let updatesSent = 0;
    const failures: unknown[] = [];
    // Eight callers at once, spread over the five simulated VMs.
    const worker = async (): Promise<void> => {
      while (next < calls) {
        const i = next++;
        const client = clients[i % clients.length]!;
        try {
          switch (i % 3) {
            case 0:
              expect((await client.vmShow()).id).toBe(client.vmId);
              break;
            case 1: {
              const svc = await client.serviceShowExtended();
              expect(svc.roles.flatMap((r) => r.nodes).every((n) => n.vm !== undefined)).toBe(true);
              break;
            }
            default:
              updatesSent += 1;
              await client.vmUpdate({ ONEKE_STRESS: String(i) });
          }
          succeeded += 1;
        } catch (error) {
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));

    expect(failures.every((e) => e instanceof OneGateError)).toBe(true);
    expect(failures).toEqual([]);
    expect(succeeded).toBe(calls);

    const server = emu.stats();
    const injected = server.faults;
    expect(injected.drop).toBeGreaterThan(0);
    expect(injected.error5xx).toBeGreaterThan(0);
    expect(injected.malformed).toBeGreaterThan(0);
    expect(injected.notFound404).toBeGreaterThan(0);
    expect(injected.delay).toBeGreaterThan(0);
    const failedAttempts = injected.drop + injected.error5xx + injected.malformed + injected.notFound404;
    expect(failedAttempts / server.total).toBeGreaterThan(0.1);

    // Every request the clients sent reached the server, once.
    const client = clients.map((c) => c.stats());
    expect(client.reduce((a, s) => a + s.total, 0)).toBe(server.total);
    // Each failed attempt was retried once (all calls succeeded in the end), and nothing else was.
    expect(client.reduce((a, s) => a + s.retries, 0)).toBe(failedAttempts);
    expect(client.reduce((a, s) => a + s.failures, 0)).toBe(0);
    // Answers: one 200 per call plus the malformed ones, the 5xx and 404 injected, nothing for drops.
    const answered = Object.values(server.responses).reduce((a, b) => a + b, 0);
    expect(answered + injected.drop).toBe(server.total);
    expect(server.responses['200']).toBe(calls + injected.malformed);
    expect(server.responses['404'] ?? 0).toBe(injected.notFound404);
    expect(['500', '502', '503', '504'].reduce((a, s) => a + (server.responses[s] ?? 0), 0)).toBe(injected.error5xx);
    // A faulted PUT never reaches the VM; each update call applied exactly once.
    expect(updates).toHaveLength(updatesSent);
    // The server honours extended: never a per-VM fallback.
    expect(server.requests['GET /vms/:id']).toBe(0);
  });

  it('injects the same faults for the same seed and request order', async () => {
    const run = async (): Promise<Record<string, number>> => {
      const emu = await emulator({ faults: { seed: 7, drop: 0.1, error5xx: 0.1, malformed: 0.1, delayMs: { rate: 0.1, ms: 1 } } });
      const client = clientOf(emu, 1, { retry: { attempts: 20, initialMs: 0, maxMs: 1 } });
      for (let i = 0; i < 40; i++) await client.vmShow();
      const stats = emu.stats();
      await emu.close();
      return { ...stats.faults, total: stats.total };
    };
    expect(await run()).toEqual(await run());
  });

  it('changes faults at run time and validates them', async () => {
    const emu = await emulator();
    const client = clientOf(emu, 1, { retry: { attempts: 2, initialMs: 0, maxMs: 1 } });
    await client.vmShow();
    emu.setFaults({ drop: 1 });
    const error = await client.vmShow().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OneGateError);
    expect((error as Error).message).toMatch(/cannot talk to .*(UND_ERR_SOCKET|other side closed|ECONNRESET)/);
    expect(emu.stats().faults.drop).toBe(2);
    emu.setFaults({});
    await client.vmShow();
    expect(() => emu.setFaults({ drop: 0.6, error5xx: 0.6 })).toThrow(/sum of rates/);
    expect(() => emu.setFaults({ malformed: 2 })).toThrow(/faults\.malformed/);
  });
});
