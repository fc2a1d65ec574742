// The configuration: context variables in, one typed and frozen Config out. Pure: no I/O here.

export { deepFreeze, secretValues } from './config.ts';
export type { Config, HostPort, KeepalivedNic, LoadBalancer, Nic, StaticServer, Vip, VridSource } from './config.ts';
export type { AddressRange, CniName, DnsListen, DnsServer, Filesystem, InterfaceSelection, PortForward } from './parsers.ts';
export { defaultNoProxy, defaultRke2Release, defaultRke2Version, deriveEndpoint, deriveVrid, subnetOf } from './derive.ts';
export { assertConfig, parseConfig } from './parse-config.ts';
export type { ParseConfigResult } from './parse-config.ts';
export { missingForRole, requireFor, RULES } from './rules.ts';
export type { Rule, RuleContext } from './rules.ts';
export { countCharacters, hiddenValue, maskUrlPassword, MAX_SHOWN_LENGTH, showValue, urlPassword } from './show-value.ts';
export { compareNames, specFor, specNamed, VALUE_KINDS, VARIABLES } from './variables.ts';
export type { KindValue, ValueKind, VariableGroup, VariableSpec } from './variables.ts';
