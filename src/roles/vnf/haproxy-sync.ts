import { oneLine } from '../../errors.ts';
import type { Clock } from '../../executor/wait.ts';
import type { Config } from '../../config/index.ts';
import type { Host } from '../../host/host.ts';
import type { Logger } from '../../log/logger.ts';
import type { OneGateClient } from '../../onegate/client.ts';
import { HAPROXY_CFG, HAPROXY_UNIT, renderVnfHaproxy } from './plan.ts';

// `oneke vnf sync`: HAProxy's backends follow the service. Each poll is one OneGate request; the
// configuration is re-rendered, checked with `haproxy -c` and loaded only when it changed. When
// OneGate fails or answers garbage, HAProxy keeps serving the last good configuration.

export type SyncResult = 'changed' | 'unchanged' | 'invalid' | 'onegate-failed' | 'no-load-balancer';

export interface SyncDeps {
  host: Host;
  logger: Logger;
  config: Config;
  client: Pick<OneGateClient, 'serviceShowExtended'>;
}

/** The `server` lines of a configuration, to say what a change added and removed. */
function servers(text: string | undefined): Set<string> {
  return new Set((text ?? '').split('\n').filter((l) => l.trim().startsWith('server ')).map((l) => l.trim().split(/\s+/).slice(1, 3).join(' ')));
}

/** One poll: ask OneGate, render, and load the result when it differs and passes `haproxy -c`. */
export async function syncOnce(deps: SyncDeps, previousWarnings: { value: string } = { value: '' }): Promise<SyncResult> {
  const { host, logger, config, client } = deps;
  let service;
  try {
    service = await client.serviceShowExtended();
  } catch (error) {
    logger.warn(`OneGate failed, keeping the current backends: ${oneLine(error)}`);
    return 'onegate-failed';
  }
  const rendered = renderVnfHaproxy(config, service);
  const warnings = rendered.warnings.join('\n');
  if (warnings !== previousWarnings.value) {
    for (const warning of rendered.warnings) logger.warn(warning);
    previousWarnings.value = warnings;
  }
  if (rendered.text === undefined) return 'no-load-balancer';
  const current = await host.readFile(HAPROXY_CFG);
  if (current === rendered.text) return 'unchanged';

  const candidate = `${HAPROXY_CFG}.candidate`;
  await host.writeFile(candidate, rendered.text, 0o644);
  const check = await host.exec('haproxy', ['-c', '-q', '-f', host.hostPath(candidate)]);
  if (check.exitCode !== 0) {
    logger.error({ stderr: check.stderr.trim().split('\n').slice(-3).join(' | ') }, 'the new HAProxy configuration does not validate; keeping the current one');
    await host.remove(candidate);
    return 'invalid';
  }
  await host.remove(candidate);
  await host.writeFile(HAPROXY_CFG, rendered.text, 0o644);
  const before = servers(current);
  const after = servers(rendered.text);
  logger.info(
    { added: [...after].filter((s) => !before.has(s)), removed: [...before].filter((s) => !after.has(s)) },
    'HAProxy backends changed; reloading',
  );
  await host.systemctl('reload-or-restart', HAPROXY_UNIT);
  return 'changed';
}

/** Polls until `signal` aborts; a failed poll never ends the loop. */
export async function runSync(deps: SyncDeps, clock: Clock, signal: AbortSignal, onPoll?: (result: SyncResult) => void): Promise<void> {
  const intervalMs = deps.config.haproxy.refreshRateSeconds * 1000;
  const warnings = { value: '' };
  deps.logger.info({ everySeconds: deps.config.haproxy.refreshRateSeconds }, 'following the service\'s backends');
  while (!signal.aborted) {
    let result: SyncResult;
    try {
      result = await syncOnce(deps, warnings);
    } catch (error) {
      // A local failure (disk, reload): say so and try again next time instead of dying.
      deps.logger.error(`sync failed: ${oneLine(error)}`);
      result = 'invalid';
    }
    onPoll?.(result);
    if (signal.aborted) break;
    await Promise.race([clock.sleep(intervalMs), new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
  }
}
