import packageJson from '../package.json' with { type: 'json' };

/** The agent's version, from package.json (bundled into the binary at build time). */
export const VERSION: string = packageJson.version;
