// Compiles the four wasm targets of asconfig.json, as many at once as there are cores: each
// AssemblyScript compile is single-threaded and takes 7-8 s, so one after another they were most
// of `npm run build`. A target newer than every AssemblyScript source and folder (a deleted or
// renamed file changes its folder's time), asconfig.json, this script and the compiler is left as
// it is (`npm ci` builds, then `npm test` builds again); `--force` compiles all, for sources copied
// with their old times kept. Exits non-zero, with asc's messages, if any target fails.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

/** The newest modification time of a folder, its files and its subfolders, all the way down. */
function newestIn(dir) {
  let newest = mtime(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : mtime(path));
  }
  return newest;
}

const config = JSON.parse(readFileSync('asconfig.json', 'utf8'));
const newestInput = Math.max(
  newestIn(SOURCES),
  mtime('asconfig.json'),
  mtime(fileURLToPath(import.meta.url)),
  mtime('node_modules/assemblyscript/package.json'),
  mtime('node_modules/binaryen/package.json'),
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
