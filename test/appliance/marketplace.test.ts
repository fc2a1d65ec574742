// The marketplace appliance metadata (appliance/marketplace/*.yaml), as the marketplace server and
// OpenNebula's import read it: ids, the names that link the appliances, VM-template leaves that are
// strings for a YAML 1.1 reader, the images list, and release placeholders that are easy to find.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO, read } from './support/tools.ts';

interface Appliance {
  id: string;
  name: string;
  version: string;
  type?: string;
  creation_time?: unknown;
  opennebula_version?: unknown;
  roles?: Record<string, string>;
  disks?: string[];
  images?: unknown[];
  opennebula_template?: unknown;
  [key: string]: unknown;
}

const FOLDER = 'appliance/marketplace';
const files = fs
  .readdirSync(path.join(REPO, FOLDER))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
// The marketplace server is Ruby, whose YAML is 1.1: there, unquoted YES, NO, on or off are booleans.
const load = (file: string, version: '1.1' | '1.2' = '1.1') => parseYaml(read(`${FOLDER}/${file}`), { version }) as Appliance;
const apps = files.map((file) => ({ file, app: load(file) }));
const byName = new Map(apps.map(({ app }) => [app.name, app]));

/** The official OneKE appliances: a name lookup on import takes the first match in any marketplace. */
const OFFICIAL_NAMES = ['Service OneKE 1.33', 'OneKE 1.33', 'OneKE 1.33 Storage', 'OneKE 1.33 VNF', 'OneKE 1.33 OS disk', 'OneKE 1.33 Storage disk'];
const PLACEHOLDER = 'FILL-AT-RELEASE';

/** Every leaf of a value with its path. */
function leaves(value: unknown, at = ''): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => leaves(item, `${at}[${index}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => leaves(item, at ? `${at}.${key}` : key));
  return [[at, value]];
}

describe('marketplace appliances', () => {
  test('there are the service, two VM templates and two images, and the air-gapped service with its two VM templates and system disk', () => {
    expect(apps.map(({ app }) => app.type).sort()).toEqual(['IMAGE', 'IMAGE', 'IMAGE', 'SERVICE_TEMPLATE', 'SERVICE_TEMPLATE', 'VMTEMPLATE', 'VMTEMPLATE', 'VMTEMPLATE', 'VMTEMPLATE']);
  });

  test.each(files)('%s has the fields the marketplace lint requires', (file) => {
    const app = load(file);
    expect(app.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(typeof app.name).toBe('string');
    expect(typeof app.version).toBe('string');
    expect(Number.isInteger(app.creation_time)).toBe(true);
    expect(app.opennebula_version).toMatch(/^7\.\d+(, 7\.\d+)*$/);
    // Reading with YAML 1.2 must give the same document: nothing depends on the YAML version.
    expect(load(file, '1.2')).toEqual(app);
  });

  test('ids and names are unique, and no name is one of the official OneKE appliances', () => {
    expect(new Set(apps.map(({ app }) => app.id)).size).toBe(apps.length);
    expect(byName.size).toBe(apps.length);
    for (const name of byName.keys()) expect(OFFICIAL_NAMES, name).not.toContain(name);
  });

  test('the service roles and the VM template disks name appliances of this folder, of the right type', () => {
    const services = apps.filter(({ app }) => app.type === 'SERVICE_TEMPLATE').map(({ app }) => app);
    expect(services).toHaveLength(2);
    for (const service of services) {
      expect(service.roles).toBeDefined();
      for (const [role, name] of Object.entries(service.roles ?? {})) expect(byName.get(name)?.type, `${role} → ${name}`).toBe('VMTEMPLATE');
      expect(byName.get(service.roles?.storage ?? '')?.disks).toHaveLength(2);
    }
    const service = services[0];
    for (const { app } of apps.filter(({ app }) => app.type === 'VMTEMPLATE')) {
      expect(app.disks?.length, app.name).toBeGreaterThan(0);
      for (const disk of app.disks ?? []) expect(byName.get(disk)?.type, `${app.name} disk ${disk}`).toBe('IMAGE');
    }
    expect(byName.get(service?.roles?.storage ?? '')?.disks).toHaveLength(2);
  });

  test('every leaf of a VM template opennebula_template is a string (else the import drops the template)', () => {
    for (const { file, app } of apps.filter(({ app }) => app.type === 'VMTEMPLATE' || (app.type === 'IMAGE' && app.opennebula_template))) {
      const bad = leaves(app.opennebula_template).filter(([, value]) => typeof value !== 'string');
      expect(bad, file).toEqual([]);
    }
  });

  test('VM templates and the service carry an empty images list; images carry exactly one image', () => {
    for (const { app } of apps) {
      if (app.type === 'IMAGE') expect(app.images, app.name).toHaveLength(1);
      else expect(app.images ?? [], app.name).toEqual([]);
    }
  });

  test.each(apps.filter(({ app }) => app.type === 'IMAGE').map(({ file }) => file))('%s: the image entry has url, size and checksums', (file) => {
    const [image] = load(file).images as Record<string, unknown>[];
    expect(image).toMatchObject({ name: expect.any(String), type: expect.stringMatching(/^(OS|DATABLOCK)$/), dev_prefix: 'vd', driver: 'qcow2' });
    expect(Number.isInteger(image?.size) && (image?.size as number) > 0).toBe(true);
    expect(image?.url).toMatch(new RegExp(`^https://(${PLACEHOLDER}/|[^/]+/)[^/]+\\.qcow2$`));
    const checksum = image?.checksum as Record<string, string>;
    // Either a real digest, or the one placeholder that a release step can search for.
    expect(checksum.md5).toMatch(new RegExp(`^([0-9a-f]{32}|${PLACEHOLDER})$`));
    expect(checksum.sha256).toMatch(new RegExp(`^([0-9a-f]{64}|${PLACEHOLDER})$`));
  });

  test("the system disk's size is the Packer disk_size (the image's virtual size)", () => {
    const packer = read('packer/variables.pkr.hcl');
    const megabytes = /variable "disk_size"[\s\S]*?default\s*=\s*"(\d+)M"/.exec(packer)?.[1];
    const systems = apps.filter(({ app }) => (app.images as { type?: string }[] | undefined)?.[0]?.type === 'OS').map(({ app }) => app);
    expect(megabytes).toBeDefined();
    expect(systems).toHaveLength(2);
    for (const system of systems) expect((system.images as { size: number }[])[0]?.size).toBe(Number(megabytes) * 1024 * 1024);
  });
});

describe('the air-gapped variant', () => {
  // Each file of the variant is its base with these names swapped; nothing else may differ.
  const NAMES: [string, string][] = [
    ['Service OneKE 1.33 single image', 'Service OneKE 1.33 single image Airgapped'],
    ['OneKE 1.33 Node', 'OneKE 1.33 Airgapped Node'],
    ['OneKE 1.33 Storage Node', 'OneKE 1.33 Airgapped Storage Node'],
    ['OneKE 1.33 System disk', 'OneKE 1.33 Airgapped System disk'],
  ];
  const renamed = (name: unknown) => NAMES.find(([base]) => base === name)?.[1] ?? name;
  const variants = files.filter((f) => f.endsWith('-airgapped.yaml'));

  test('every appliance but the Longhorn disk has a variant', () => {
    expect(variants).toEqual(['oneke-node-airgapped.yaml', 'oneke-service-airgapped.yaml', 'oneke-storage-airgapped.yaml', 'oneke-system-disk-airgapped.yaml']);
  });

  test.each(variants)('%s is its base with other names, ONE_SERVICE_AIRGAPPED=YES and the air-gapped image', (file) => {
    const base = load(file.replace('-airgapped', ''));
    const variant = load(file);
    const expected = structuredClone(base) as Record<string, any>;
    expected.id = variant.id;
    expected.creation_time = variant.creation_time; // bumped per file, on each change
    expected.name = renamed(base.name);
    expected.short_description = variant.short_description;
    if (expected.roles) expected.roles = Object.fromEntries(Object.entries(expected.roles).map(([role, name]) => [role, renamed(name)]));
    if (expected.disks) expected.disks = (expected.disks as string[]).map(renamed);
    const template = expected.opennebula_template as Record<string, any> | undefined;
    if (template?.context) template.context.ONE_SERVICE_AIRGAPPED = 'YES';
    if (expected.type === 'SERVICE_TEMPLATE') template!.name = `${template!.name} Airgapped`;
    if (expected.type === 'IMAGE') {
      const image = (expected.images as Record<string, string>[])[0]!;
      image.name = `${image.name}-airgapped`;
      image.url = image.url!.replace(/\.qcow2$/, '-airgapped.qcow2');
    }
    expect(variant).toEqual(expected);
    expect(variant.id).not.toBe(base.id);
  });

  test('the base VM templates say NO, so a VM of the plain image never waits for images it does not have', () => {
    for (const file of ['oneke-node.yaml', 'oneke-storage.yaml']) {
      expect((load(file).opennebula_template as { context: Record<string, string> }).context.ONE_SERVICE_AIRGAPPED).toBe('NO');
    }
  });
});
