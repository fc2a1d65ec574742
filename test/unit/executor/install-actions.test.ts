import { describe, expect, test } from 'vitest';
import { applyPlan, firstHostChange, type Installer } from '../../../src/executor/apply.ts';
import { RuntimeProblem } from '../../../src/errors.ts';
import { NodeHost } from '../../../src/host/node-host.ts';
import { createLogger, SecretSet } from '../../../src/log/logger.ts';
import type { Plan } from '../../../src/plan/plan.ts';
import { tempRoot } from '../../support/temp-root.ts';

const logger = createLogger({ level: 'silent', secrets: new SecretSet() });

const plan: Plan = {
  role: 'unknown',
  decision: { kind: 'install', reason: 'a test' },
  actions: [
    { kind: 'install-packages', packages: ['haproxy'] },
    { kind: 'artifact', file: 'a.tgz', label: 'A', url: 'http://mirror.invalid/a.tgz', sha256: 'a'.repeat(64), target: '/var/lib/a.tgz' },
    { kind: 'addon-manifest', addon: 'traefik', path: '/var/lib/one-traefik.yaml' },
    { kind: 'chart-images', addons: ['traefik'] },
  ],
};

describe('the actions of oneke install', () => {
  test('are applied in order through the installer', async () => {
    const calls: string[] = [];
    const installer: Installer = {
      installPackages: async (a) => void calls.push(`packages ${a.packages.join(' ')}`),
      artifact: async (a) => void calls.push(`artifact ${a.file}`),
      addonManifest: async (a) => void calls.push(`manifest ${a.addon}`),
      chartImages: async (a) => void calls.push(`images ${a.addons.join(' ')}`),
    };
    const report = await applyPlan({ ...plan, actions: plan.actions.slice(1) }, { host: new NodeHost(await tempRoot()), logger, installer });
    expect(calls).toEqual(['artifact a.tgz', 'manifest traefik', 'images traefik']);
    expect(report.actions).toBe(3);
  });

  test('without an installer: an internal error, nothing done', async () => {
    const error = await applyPlan({ ...plan, actions: plan.actions.slice(1) }, { host: new NodeHost(await tempRoot()), logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeProblem);
    expect((error as Error).message).toContain('needs the installer');
  });

  test('installing OS packages changes the running system (the --root rule applies)', () => {
    expect(firstHostChange(plan)?.kind).toBe('install-packages');
    expect(firstHostChange({ ...plan, actions: plan.actions.slice(1) })).toBeUndefined();
  });
});
