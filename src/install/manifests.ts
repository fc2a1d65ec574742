// The prepared add-on manifests moved to the add-on registry (src/addons/prepared-manifest.ts,
// src/addons/metallb.ts); what the node plan imports from here stays available under its name.

export { metallbClassOverride, preparedManifestNames } from '../addons/index.ts';
export type { PreparedManifest } from '../addons/index.ts';
