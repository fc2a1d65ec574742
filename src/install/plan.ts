// The plan of `oneke install`: what the image-build step will do, as plain data that `oneke plan
// --step install` prints and the executor applies (through ApplyDeps.installer). Pure: no I/O.
//
// Each artifact is one action with its URL and trusted SHA-256; whether it is already in place (its
// receipt, the unpacked binary) is decided when the action is applied, as before. The add-on images
// are one action that the installer performs whole: which images a chart runs is read out of the
// chart archive, known only once the archive is downloaded, and every digest is settled before the
// first image is copied.

import { CHART_ADDONS, preparedManifest } from '../addons/index.ts';
import type { Config } from '../config/index.ts';
import type { Action, Plan } from '../plan/plan.ts';
import { artifactUrl, planArtifacts, type Arch } from './artifacts.ts';
import type { InstallSettings } from './options.ts';
import { OS_PACKAGES } from './packages.ts';

export interface InstallFacts {
  /** The trusted SHA-256 of every artifact (requireChecksums). */
  readonly sums: ReadonlyMap<string, { readonly sha256: string }>;
  /** The host's root: OS packages are installed on the running system (`/`) only. */
  readonly root: string;
  /** Whether the add-on images are copied (default: when ONE_SERVICE_AIRGAPPED is on). */
  readonly addonImages?: boolean;
}

/** Why no OS packages are installed in this run, or undefined when they are. */
export function packagesSkipped(settings: InstallSettings, root: string): string | undefined {
  if (settings.skipPackages) return 'ONEKE_INSTALL_SKIP_PACKAGES is set: no apt-get, no systemctl';
  if (root !== '/') return 'the root is not /: OS packages are not installed (apt-get works on the running system only)';
  return undefined;
}

export function planInstall(config: Config, settings: InstallSettings, arch: Arch, facts: InstallFacts): Plan {
  const artifacts = planArtifacts(config, arch);
  const packages = packagesSkipped(settings, facts.root) === undefined;
  const actions: Action[] = [];
  if (packages) actions.push({ kind: 'install-packages', packages: OS_PACKAGES.map((p) => p.name) });
  for (const artifact of artifacts) {
    actions.push({
      kind: 'artifact',
      file: artifact.file,
      label: artifact.label,
      url: artifactUrl(artifact, settings.mirror),
      sha256: facts.sums.get(artifact.file)?.sha256 ?? '',
      target: artifact.target,
      ...(artifact.keep ? {} : { unpack: artifact.kind === 'rke2' ? ('rke2' as const) : ('helm' as const) }),
    });
  }
  for (const { name } of CHART_ADDONS) actions.push({ kind: 'addon-manifest', addon: name, path: preparedManifest(name).path });
  if (config.airgapped && facts.addonImages !== false) actions.push({ kind: 'chart-images', addons: CHART_ADDONS.map((a) => a.name) });
  // The RKE2 units just unpacked under /usr/local/lib/systemd/system.
  if (packages) actions.push({ kind: 'command', argv: ['systemctl', 'daemon-reload'], why: 'the RKE2 units unpacked under /usr/local/lib/systemd/system' });
  return {
    role: 'unknown',
    decision: { kind: 'install', reason: `RKE2 ${config.versions.rke2} and the add-ons for ${arch}${config.airgapped ? ', air-gapped' : ''}` },
    actions,
  };
}
