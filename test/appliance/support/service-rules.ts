// Checks of a OneFlow service template: the JSON Schema of the reference (OneFlow's own validation,
// translated) and the rules between fields that a JSON Schema cannot state. Test support code.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { parseOneTemplate } from './one-template.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../../..');

/**
 * The OneFlow service template schema of the project's reference notes (derived from OneFlow's own
 * validation, see its $comment), kept in the repository so that the tests run from a fresh clone.
 */
export const SERVICE_SCHEMA = path.join(REPO, 'test/appliance/fixtures/oneflow-service-template.schema.json');

/** The shared reference copy, when this checkout sits next to it (the tests check the two agree). */
export const SHARED_SERVICE_SCHEMA = path.resolve(REPO, '../shared/reference/oneflow-service-template.schema.json');

export type SchemaCheck = (document: unknown) => string[];

/** Compiles the schema (root, or one of its $defs) into a function that lists every error. */
export function compileServiceSchema(schemaFile: string, def?: string): SchemaCheck {
  const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as { $id: string };
  // strict: false because the schema puts `required` inside `if` branches, which strict mode rejects.
  // ajv is CommonJS: under NodeNext the default import is its module.exports, whose `default` is the class.
  const ajv = new Ajv2020.default({ strict: false, allErrors: true });
  ajv.addSchema(schema);
  const validate = ajv.getSchema(def ? `${schema.$id}#/$defs/${def}` : schema.$id);
  if (!validate) throw new Error(`no schema ${def ?? 'root'} in ${schemaFile}`);
  return (document) => (validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim()));
}

interface RoleLike {
  name?: unknown;
  cardinality?: unknown;
  min_vms?: unknown;
  max_vms?: unknown;
  parents?: unknown;
  template_contents?: unknown;
  vm_template_contents?: unknown;
}

interface ServiceLike {
  roles?: unknown;
  user_inputs?: unknown;
  networks?: unknown;
}

const INPUT_TYPES_NEEDING_DEFAULT = new Set(['number', 'number-float', 'range', 'range-float', 'list', 'boolean']);

/** Problems of one USER_INPUTS string (service, role or VM template), per the CLI's and OneFlow's rules. */
export function userInputProblems(name: string, spec: string): string[] {
  const fields = spec.split('|');
  if (fields.length !== 3 && fields.length !== 5) return [`${name}: ${fields.length} fields; the CLI wants 3 or 5`];
  const [mandatory = '', type = '', , params = '', rawDefault = ''] = fields;
  const defaultValue = rawDefault.trim();
  const problems: string[] = [];
  if (mandatory !== 'M' && mandatory !== 'O') problems.push(`${name}: first field ${JSON.stringify(mandatory)} is neither M nor O`);
  // An optional number/list/boolean answered with nothing is left out by the CLI, and then OneFlow
  // refuses the instantiate because every user input needs a value.
  if (mandatory === 'O' && INPUT_TYPES_NEEDING_DEFAULT.has(type) && defaultValue === '') problems.push(`${name}: optional ${type} without a default`);
  if (type === 'boolean' && defaultValue !== '' && defaultValue !== 'YES' && defaultValue !== 'NO') problems.push(`${name}: boolean default ${JSON.stringify(defaultValue)} is not YES or NO`);
  if (type === 'list' || type === 'list-multiple') {
    const options = params.split(',').map((o) => o.trim());
    if (options.length === 0 || options.some((o) => o === '')) problems.push(`${name}: list without options`);
    else if (defaultValue !== '' && !options.includes(defaultValue)) problems.push(`${name}: default ${JSON.stringify(defaultValue)} is not one of ${params}`);
  }
  if ((type === 'range' || type === 'range-float') && !/^-?[\d.]+\.\.-?[\d.]+$/.test(params.trim())) problems.push(`${name}: range params ${JSON.stringify(params)} are not min..max`);
  return problems;
}

/** A role's extra template as attribute → value pairs, from either the 7.x object or the 6.x string. */
export function roleContents(role: RoleLike): { nics: Record<string, string>[]; attributes: Record<string, string> } {
  const nics: Record<string, string>[] = [];
  const attributes: Record<string, string> = {};
  if (typeof role.vm_template_contents === 'string') {
    for (const attribute of parseOneTemplate(role.vm_template_contents)) {
      if (attribute.kind === 'vector' && attribute.name === 'NIC') nics.push(Object.fromEntries(attribute.pairs));
      else if (attribute.kind === 'single') attributes[attribute.name] = attribute.value;
      else attributes[attribute.name] = JSON.stringify(Object.fromEntries(attribute.pairs));
    }
  }
  if (role.template_contents !== null && typeof role.template_contents === 'object') {
    for (const [key, value] of Object.entries(role.template_contents as Record<string, unknown>)) {
      if (key === 'NIC') nics.push(...(Array.isArray(value) ? value : [value]).map((nic) => nic as Record<string, string>));
      else attributes[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return { nics, attributes };
}

/** The rules between fields: what OneFlow checks in code, and what a deployable service needs. */
export function crossFieldProblems(service: ServiceLike): string[] {
  const problems: string[] = [];
  const roles = Array.isArray(service.roles) ? (service.roles as RoleLike[]) : [];
  const names = roles.map((r) => String(r.name));
  const roleNames = new Set(names);

  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`role ${name}: the name is used twice`);

  const parentsOf = new Map<string, string[]>();
  for (const role of roles) {
    const name = String(role.name);
    // OneFlow applies the cardinality default (0) before comparing it with min_vms and max_vms.
    const cardinality = typeof role.cardinality === 'number' ? role.cardinality : 0;
    if (typeof role.min_vms === 'number' && role.min_vms > cardinality) problems.push(`role ${name}: min_vms ${role.min_vms} is above the cardinality ${cardinality}`);
    if (typeof role.max_vms === 'number' && cardinality > role.max_vms) problems.push(`role ${name}: cardinality ${cardinality} is above max_vms ${role.max_vms}`);
    if (typeof role.min_vms === 'number' && typeof role.max_vms === 'number' && role.min_vms > role.max_vms) problems.push(`role ${name}: min_vms is above max_vms`);
    const parents = Array.isArray(role.parents) ? role.parents.map(String) : [];
    parentsOf.set(name, parents);
    for (const parent of parents) if (!roleNames.has(parent)) problems.push(`role ${name}: parent ${parent} is not a role`);

    // `$Net` in a NIC names a service network; `${role.…}` is evaluated only for a parent role.
    const { nics, attributes } = roleContents(role);
    const networks = service.networks !== null && typeof service.networks === 'object' ? Object.keys(service.networks) : [];
    for (const nic of nics) {
      const id = nic.NETWORK_ID;
      if (typeof id === 'string' && id.startsWith('$') && !networks.includes(id.slice(1))) problems.push(`role ${name}: NIC network ${id} is not in the service networks`);
    }
    for (const value of [...Object.values(attributes), ...nics.flatMap((nic) => Object.values(nic))]) {
      for (const match of String(value).matchAll(/\$\{([A-Za-z0-9_]+)\./g)) {
        const referenced = match[1] as string;
        if (!parents.includes(referenced)) problems.push(`role ${name}: \${${referenced}.…} names a role that is not its parent (it would become empty text)`);
      }
    }
  }

  // Parents must form a DAG, or `straight` deployment never starts the roles on the cycle.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      problems.push(`roles ${[...trail.slice(trail.indexOf(name)), name].join(' -> ')}: the parents form a cycle`);
      return;
    }
    state.set(name, 'visiting');
    for (const parent of parentsOf.get(name) ?? []) if (roleNames.has(parent)) visit(parent, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of roleNames) visit(name, []);

  if (service.user_inputs !== null && typeof service.user_inputs === 'object') {
    for (const [name, spec] of Object.entries(service.user_inputs as Record<string, unknown>)) {
      if (typeof spec !== 'string') problems.push(`${name}: the user input is not a string`);
      else problems.push(...userInputProblems(name, spec));
    }
  }
  return problems;
}

/** Role attributes that size the VM (ours sizes the VNF in its role contents); not context variables. */
export const SIZING_ATTRIBUTES: ReadonlySet<string> = new Set(['CPU', 'VCPU', 'MEMORY']);
