// The one ordered list of add-ons. Both `oneke install` (the charts it prepares) and the node plan
// (the manifests a master writes, the prepared charts it links) read it: to add an add-on, add its
// file and one entry here.

import { InternalError } from '../errors.ts';
import type { Addon, ChartAddon, ChartAddonName } from './addon.ts';
import { calico } from './calico.ts';
import { canal } from './canal.ts';
import { cilium } from './cilium.ts';
import { longhorn } from './longhorn.ts';
import { metallb } from './metallb.ts';
import { multus } from './multus.ts';
import { traefik } from './traefik.ts';

/**
 * The primary CNI first, then Multus in front of it, then the rest. This order is the order of the
 * files a master writes (cilium, canal, calico, multus, metallb) and of the charts that install
 * fetches and configure links (longhorn, metallb, traefik).
 */
export const ADDONS: readonly Addon[] = Object.freeze([cilium, canal, calico, multus, longhorn, metallb, traefik]);

function hasChart(addon: Addon): addon is ChartAddon {
  return addon.chart !== undefined;
}

/** The add-ons with a chart prepared at image build, in the registry's order. */
export const CHART_ADDONS: readonly ChartAddon[] = Object.freeze(ADDONS.filter(hasChart));

/** The registry's entry of a chart add-on. */
export function chartAddon(name: ChartAddonName): ChartAddon {
  const addon = CHART_ADDONS.find((entry) => entry.name === name);
  if (addon === undefined) throw new InternalError(`no add-on ${name} with a chart in the registry`);
  return addon;
}
