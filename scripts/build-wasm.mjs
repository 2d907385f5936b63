// Compiles the four wasm targets of asconfig.json, as many at once as there are cores: each
// AssemblyScript compile is single-threaded and takes 7-8 s, so one after another they were most
// of `npm run build`. A target newer than every AssemblyScript source, asconfig.json and the
// compiler itself is left as it is (`npm ci` builds, then `npm test` builds again); `--force`
// compiles all. Exits non-zero, with asc's messages, if any target fails.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const KERNELS = 'src/kernels/wasm/assembly/kernel-versions.ts';
const SOURCES = 'src/kernels/wasm/assembly';
const targets = [
  { name: 'relaxed-simd', entry: [] },
  { name: 'simd', entry: [] },
  { name: 'kernel-versions-relaxed-simd', entry: [KERNELS] },
  { name: 'kernel-versions-simd', entry: [KERNELS] },
];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -Infinity;
  }
}

const config = JSON.parse(readFileSync('asconfig.json', 'utf8'));
const newestInput = Math.max(
  mtime('asconfig.json'),
  mtime('node_modules/assemblyscript/package.json'),
  ...readdirSync(SOURCES).map((file) => mtime(join(SOURCES, file))),
);
const force = process.argv.includes('--force');
const stale = targets.filter(({ name }) => {
  const { outFile, textFile } = config.targets[name];
  return force || [outFile, textFile].some((out) => out && mtime(out) <= newestInput);
});
if (stale.length < targets.length) {
  const fresh = targets.filter((target) => !stale.includes(target)).map(({ name }) => name);
  console.log(`build-wasm: up to date, not recompiled: ${fresh.join(', ')}`);
}
const builds = stale.map(({ name, entry }) => [...entry, '--config', 'asconfig.json', '--target', name]);

function compile(args) {
  return new Promise((resolve) => {
    const child = spawn('asc', args, { stdio: 'inherit', shell: process.platform === 'win32' });
    child.on('error', (e) => resolve(`asc ${args.join(' ')}: ${e.message}`));
    child.on('close', (code) => resolve(code === 0 ? null : `asc ${args.join(' ')} exited with ${code}`));
  });
}

const waiting = [...builds];
const failures = [];
async function worker() {
  for (let args = waiting.shift(); args; args = waiting.shift()) {
    const failure = await compile(args);
    if (failure) failures.push(failure);
  }
}
await Promise.all(Array.from({ length: Math.min(availableParallelism(), builds.length) }, worker));
for (const failure of failures) console.error(failure);
process.exit(failures.length === 0 ? 0 : 1);
