// Inputs of `oneke install`. It runs while the image is built (Packer), where no VM context exists:
// its settings come from the environment, as the reference reads them.

import { ConfigError, type ConfigIssue } from '../errors.ts';
import { parseConfig, showValue, type Config } from '../config/index.ts';
import { SHA256SUMS_VARIABLE } from './checksums.ts';

/** A base URL that serves the artifacts under their upstream file names, in one flat folder. */
export const MIRROR_VARIABLE = 'ONEKE_ARTIFACT_MIRROR';
/**
 * A container registry that serves the add-on images under their upstream paths (a pull-through
 * mirror, or one filled with `skopeo sync`): `https://host[:port][/prefix]`; `http://` for a registry
 * without TLS (on loopback or a trusted build network). Default: each image's own registry.
 */
export const REGISTRY_MIRROR_VARIABLE = 'ONEKE_REGISTRY_MIRROR';
/** YES (or 1): no apt-get, no systemctl (tests, or an image whose packages are already there). */
export const SKIP_PACKAGES_VARIABLE = 'ONEKE_INSTALL_SKIP_PACKAGES';

/**
 * The context variables install reads from the environment. Only these: another ONEAPP_* variable
 * lying around in the build's environment must not decide or break the image build.
 */
export const INSTALL_VARIABLES = [
  'ONE_SERVICE_VERSION',
  'ONE_SERVICE_RKE2_RELEASE',
  'ONE_SERVICE_RKE2_VERSION',
  'ONE_SERVICE_HELM_VERSION',
  'ONE_SERVICE_AIRGAPPED',
  'ONEAPP_K8S_LONGHORN_CHART_VERSION',
  'ONEAPP_K8S_METALLB_CHART_VERSION',
  'ONEAPP_K8S_TRAEFIK_CHART_VERSION',
  'ONEAPP_K8S_METALLB_CLASS',
] as const;

export interface InstallSettings {
  /** ONEKE_ARTIFACT_MIRROR, normalised (no trailing slash). */
  readonly mirror: string | undefined;
  /** ONEKE_ARTIFACT_SHA256SUMS: a path on this machine (not under --root). */
  readonly sha256sumsFile: string | undefined;
  /** ONEKE_REGISTRY_MIRROR, parsed. */
  readonly registryMirror: URL | undefined;
  readonly skipPackages: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

function isYes(value: string | undefined): boolean {
  return value !== undefined && /^(yes|1)$/i.test(value.trim());
}

/** Reads and checks the ONEKE_* settings of install; every problem at once. */
export function installSettingsFrom(env: Env): InstallSettings {
  const issues: ConfigIssue[] = [];
  const rawMirror = env[MIRROR_VARIABLE]?.trim() || undefined;
  let mirror: string | undefined;
  if (rawMirror !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(rawMirror);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
      issues.push({ variable: MIRROR_VARIABLE, shown: showValue(rawMirror), expected: 'an http(s) base URL without query, like https://mirror.example/oneke' });
    } else {
      mirror = rawMirror.replace(/\/+$/, '');
    }
  }
  const rawRegistry = env[REGISTRY_MIRROR_VARIABLE]?.trim() || undefined;
  let registryMirror: URL | undefined;
  if (rawRegistry !== undefined) {
    const url = URL.canParse(rawRegistry) ? new URL(rawRegistry) : undefined;
    const plainPath = url !== undefined && /^(\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*\/?$/.test(url.pathname);
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || !plainPath) {
      issues.push({
        variable: REGISTRY_MIRROR_VARIABLE,
        shown: showValue(rawRegistry),
        expected: 'a registry URL like https://registry.example:5000 or http://127.0.0.1:5000/prefix (no user, query or fragment)',
      });
    } else {
      registryMirror = url;
    }
  }
  const sha256sumsFile = env[SHA256SUMS_VARIABLE]?.trim() || undefined;
  if (issues.length > 0) throw new ConfigError(issues);
  return { mirror, sha256sumsFile, registryMirror, skipPackages: isYes(env[SKIP_PACKAGES_VARIABLE]) };
}

/** The config of an image build: defaults, overridden by INSTALL_VARIABLES from the environment. */
export function configFromEnvironment(env: Env): Config {
  const vars = new Map<string, string>();
  for (const name of INSTALL_VARIABLES) {
    const value = env[name];
    if (value !== undefined) vars.set(name, value);
  }
  const result = parseConfig(vars);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}
