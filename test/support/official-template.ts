// What a VM of the official OneKE 1.33 marketplace service gets as its context, worked out from the
// marketplace files themselves (the `official-oneke-1.33` folder of the shared reference, beside the
// repository), so that a scenario boots exactly what a marketplace user instantiates:
//
// - the role's VM template `context`, each `$NAME` replaced by the service's attribute NAME (the role's
//   `vm_template_contents`) or else the user input's value or its default;
// - plus the role's `vm_template_contents` (OneFlow merges them into the VM), their `$NAME` replaced by
//   the user inputs, and `${vnf.TEMPLATE.CONTEXT.ETHn_IP}` by the first VNF's address;
// - `$USER[...]` (the owner's SSH key) becomes empty, `$SERVICE_ID` the service's ID.
//
// What OpenNebula adds itself (ETHn_* of each NIC, VMID, TOKENTXT, ONEGATE_ENDPOINT) is the harness's.

import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO } from './binary.ts';

export type OfficialRole = 'vnf' | 'master' | 'worker' | 'storage';

/** Where the marketplace files are: ONEKE_OFFICIAL_TEMPLATE_DIR, else the shared reference beside the repository. */
export const OFFICIAL_TEMPLATE_DIR = process.env.ONEKE_OFFICIAL_TEMPLATE_DIR ?? path.resolve(REPO, '../shared/reference/official-oneke-1.33');

export function officialTemplateAvailable(): boolean {
  return fs.existsSync(path.join(OFFICIAL_TEMPLATE_DIR, 'oneke-133-service-x86_64.yaml'));
}

/** Stops a test file that needs the marketplace files when they are not there, saying where they were looked for. */
export function requireOfficialTemplate(): void {
  if (!officialTemplateAvailable()) {
    throw new Error(`the official OneKE 1.33 marketplace files are not in ${OFFICIAL_TEMPLATE_DIR}: set ONEKE_OFFICIAL_TEMPLATE_DIR to a copy of them`);
  }
}

interface ServiceFile {
  roles: Record<OfficialRole, string>;
  opennebula_template: {
    roles: { name: OfficialRole; cardinality: number; vm_template_contents?: string }[];
    user_inputs: Record<string, string>;
  };
}

interface VmTemplateFile {
  name: string;
  opennebula_template: { context: Record<string, string>; cpu?: string; memory?: string };
}

function readYaml<T>(file: string): T {
  return parse(fs.readFileSync(path.join(OFFICIAL_TEMPLATE_DIR, file), 'utf8')) as T;
}

/** The default of a user input: the last field of `M|type|label|options|default`. */
export function userInputDefault(spec: string): string {
  const fields = spec.split('|');
  return fields.length >= 5 ? fields.slice(4).join('|') : '';
}

/** `NAME = "value"` lines of a role's vm_template_contents; NIC blocks are the harness's business. */
function templateAttributes(contents: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  let depth = 0;
  for (const line of contents.split('\n')) {
    depth += (line.match(/\[/g) ?? []).length - (line.match(/]/g) ?? []).length;
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"(.*)"\s*$/.exec(line);
    if (match && depth === 0 && !line.includes('[')) attributes[match[1] as string] = match[2] as string;
  }
  return attributes;
}

export interface OfficialOptions {
  serviceId: number;
  /** The first VNF's addresses (what `${vnf.TEMPLATE.CONTEXT.ETHn_IP}` stands for). */
  vnfEth0Ip: string;
  vnfEth1Ip: string;
  /** Values the user gives at instantiation; everything else takes the user input's default. */
  inputs?: Record<string, string>;
  /** The air-gapped variant (`oneke-133a-service-x86_64.yaml`). */
  airgapped?: boolean;
}

export interface OfficialService {
  /** The context variables of a VM of each role (without what OpenNebula adds per VM). */
  context: Record<OfficialRole, Record<string, string>>;
  cardinality: Record<OfficialRole, number>;
  /** The VM templates' sizes (MiB, CPUs). */
  memory: Record<OfficialRole, number>;
}

/** The official service as a user instantiates it with `inputs` (defaults for the rest). */
export function officialService(options: OfficialOptions): OfficialService {
  const service = readYaml<ServiceFile>(options.airgapped ? 'oneke-133a-service-x86_64.yaml' : 'oneke-133-service-x86_64.yaml');
  const vmTemplates = fs
    .readdirSync(OFFICIAL_TEMPLATE_DIR)
    .filter((f) => f.endsWith('.yaml') && !f.includes('service') && !f.includes('disk'))
    .map((f) => readYaml<VmTemplateFile>(f));
  const vnfContext = (expr: string): string => {
    if (expr === 'ETH0_IP') return options.vnfEth0Ip;
    if (expr === 'ETH1_IP') return options.vnfEth1Ip;
    throw new Error(`official template: no value for \${vnf.TEMPLATE.CONTEXT.${expr}}`);
  };
  const substitute = (value: string, lookup: (name: string) => string | undefined): string =>
    value
      .replace(/\$\{vnf\.TEMPLATE\.CONTEXT\.([A-Z0-9_]+)\}/g, (_, expr: string) => vnfContext(expr))
      .replace(/\$USER\[[A-Z0-9_]+\]/g, '')
      .replace(/\$([A-Z][A-Z0-9_]*)/g, (_, name: string) => lookup(name) ?? '');
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(service.opennebula_template.user_inputs)) {
    inputs[name] = substitute(options.inputs?.[name] ?? userInputDefault(spec), () => undefined);
  }
  const fromInputs = (name: string): string | undefined => (name === 'SERVICE_ID' ? String(options.serviceId) : inputs[name]);

  const context = {} as OfficialService['context'];
  const cardinality = {} as OfficialService['cardinality'];
  const memory = {} as OfficialService['memory'];
  for (const role of service.opennebula_template.roles) {
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(templateAttributes(role.vm_template_contents ?? ''))) attributes[name] = substitute(value, fromInputs);
    const vmTemplate = vmTemplates.find((t) => t.name === service.roles[role.name]);
    if (!vmTemplate) throw new Error(`official template: no VM template named ${service.roles[role.name]} for role ${role.name}`);
    const vars: Record<string, string> = { ...attributes };
    for (const [name, value] of Object.entries(vmTemplate.opennebula_template.context)) {
      vars[name] = substitute(String(value), (ref) => attributes[ref] ?? fromInputs(ref));
    }
    context[role.name] = vars;
    cardinality[role.name] = role.cardinality;
    memory[role.name] = Number(vmTemplate.opennebula_template.memory ?? 0);
  }
  return { context, cardinality, memory };
}
