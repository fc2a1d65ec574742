import { describe, expect, it } from 'vitest';
import { ADDONS, CHART_ADDONS, chartAddon, NODEPORT_OFFSET, preparedManifestNames, STORAGE_NODE_TAINT, TRAEFIK_NODE_PORTS } from '../../../src/addons/index.ts';
import type { ChartAddonName } from '../../../src/addons/index.ts';
import { InternalError } from '../../../src/errors.ts';
import { agentConfig } from '../../../src/roles/kubernetes/rke2-config.ts';
import { configOf } from './helpers.ts';

describe('the add-on registry', () => {
  it('names each add-on once', () => {
    const names = ADDONS.map((addon) => addon.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('finds each chart add-on by name, and no other', () => {
    for (const addon of CHART_ADDONS) expect(chartAddon(addon.name)).toBe(addon);
    expect(() => chartAddon('cilium' as ChartAddonName)).toThrow(InternalError);
  });

  it('gives every prepared chart its own release, named after the manifest configure links', () => {
    const releases = CHART_ADDONS.map((addon) => addon.chart.release.name);
    expect(new Set(releases).size).toBe(releases.length);
    const all = configOf({ ONEAPP_K8S_LONGHORN_ENABLED: 'YES', ONEAPP_K8S_METALLB_ENABLED: 'YES', ONEAPP_K8S_METALLB_RANGE1: '10.0.0.5', ONEAPP_K8S_TRAEFIK_ENABLED: 'YES' });
    expect(preparedManifestNames(all).map((m) => m.name)).toEqual(releases.map((name) => `${name}.yaml`));
  });

  it('applies a chart add-on exactly when its ONEAPP_K8S_*_ENABLED is on', () => {
    expect(CHART_ADDONS.filter((addon) => addon.appliesTo(configOf({})))).toEqual([]);
    expect(CHART_ADDONS.filter((addon) => addon.appliesTo(configOf({ ONEAPP_K8S_TRAEFIK_ENABLED: 'YES' }))).map((a) => a.name)).toEqual(['traefik']);
  });

  it('shares its constants with the node plan: the storage taint, the ingress NodePorts', () => {
    const storage = agentConfig(configOf({ ONEAPP_K8S_SUPERVISOR_ENDPOINT: '10.0.0.10:9345' }), 'storage-0', 'token', true);
    expect(storage).toContain(STORAGE_NODE_TAINT);
    expect(TRAEFIK_NODE_PORTS).toEqual({ web: 80 + NODEPORT_OFFSET, websecure: 443 + NODEPORT_OFFSET });
  });
});
