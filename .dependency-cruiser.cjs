// The boundaries of src/ (`npm run boundaries`): no cycles, a functional core that reaches neither
// the system nor the shell, and an effects layer that does not know the domain.
//
// Pure: the roles (but their gathers and anything under a `shell/` folder), the configuration, the
// plans, the add-on registry, the context and OneGate parsers. They turn data into data: `oneke plan`
// and the tests call them freely. An `import type` (or `export type … from`) vanishes at run time:
// the rules that say so allow it (dependency type pre-compilation-only, with tsPreCompilationDeps
// 'specify'). `import { type A } from` does not vanish: under verbatimModuleSyntax it stays an
// `import {} from` that loads the module, so it counts as a run-time import.

const PURE = [
  '^src/roles/',
  '^src/config/',
  '^src/plan/',
  '^src/addons/',
  '^src/net/',
  '^src/context/parse-[^/]+$',
  '^src/onegate/(?:parse|keys)\\.ts$',
  // Errors and text helpers the pure code throws and uses: data in, data out too.
  '^src/errors\\.ts$',
  '^src/context/context-syntax-error\\.ts$',
  '^src/onegate/answer-error\\.ts$',
  '^src/log/safe-text\\.ts$',
  // Renderers that the configuration checks share with the VNF.
  '^src/render/',
];
// A gather (gather.ts in a role folder) looks at the VM through the Host it is given; code under a
// shell/ folder of a role is the role's own effects.
const NOT_PURE = ['(?:^|/)gather\\.ts$', '^src/roles/.*/shell/'];
// What reaches the system: the effects layer, the executor, the steps, the CLI and the shell/ of a
// role, and the Node modules and packages that touch files, processes, the network or time.
const SHELL = [
  '^src/(?:host|executor|steps|cli)/',
  '^src/roles/.*/shell/',
  '^(?:node:)?(?:fs|fs/promises|child_process|net|tls|http|https|http2|dgram|dns|dns/promises|timers|timers/promises)$',
  '^node_modules/(?:execa|undici)/',
];
// The domain the effects layer must not know.
const DOMAIN = '^src/(?:roles|addons|install|cleaner|steps|cli)/';
const RUNTIME = { dependencyTypesNot: ['pre-compilation-only'] };

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'Folders of src/ depend on each other in one direction only (type-only imports count: a cycle of types is still a tangle).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycle',
      comment: 'No module of src/ reaches itself again through imports that are there at run time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: RUNTIME },
    },
    {
      name: 'pure-no-shell',
      comment: 'Pure code reaches neither the system nor the shell; a type-only import (a Host parameter) is fine.',
      severity: 'error',
      from: { path: PURE, pathNot: NOT_PURE },
      to: { path: SHELL, ...RUNTIME },
    },
    {
      name: 'pure-imports-pure',
      comment: 'Pure code imports, at run time, only pure code and the gathers it dispatches to (the shell is pure-no-shell).',
      severity: 'error',
      from: { path: PURE, pathNot: NOT_PURE },
      to: { path: '^src/', pathNot: [...PURE, '(?:^|/)gather\\.ts$', SHELL[0], SHELL[1]], ...RUNTIME },
    },
    {
      name: 'gather-host-type-only',
      comment: 'A gather takes the Host as a parameter: it imports the Host type, no effects of its own.',
      severity: 'error',
      from: { path: '(?:^|/)gather\\.ts$' },
      to: { path: SHELL, ...RUNTIME },
    },
    {
      name: 'host-not-domain',
      comment: 'The effects layer knows files, processes, HTTP and the clock, not the roles, add-ons, install or cleaner (types excepted).',
      severity: 'error',
      from: { path: '^src/host/' },
      to: { path: DOMAIN, ...RUNTIME },
    },
    {
      name: 'onegate-not-emulator',
      comment: 'The OneGate client does not know its emulator (the emulator uses the client, not the other way).',
      severity: 'error',
      from: { path: '^src/onegate/' },
      to: { path: '^src/emulator/' },
    },
    {
      name: 'src-not-tests',
      comment: 'The agent does not import tests or benchmarks.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(?:test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: 'specify',
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
