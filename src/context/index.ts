// The OpenNebula context: read from files, never executed. Only config/ interprets the values.

/** Context variables as read, NAME → raw value. Read-only: nothing downstream may add to the context. */
export type ContextVars = ReadonlyMap<string, string>;

export { ContextSyntaxError } from './context-syntax-error.ts';
export { CONTEXT_SH_PATHS, detectFormat, loadContext, ONE_ENV_PATHS } from './load-context.ts';
export type { ContextFormat, LoadContextOptions } from './load-context.ts';
export { parseContextSh } from './parse-context-sh.ts';
export { parseOneEnv } from './parse-one-env.ts';
