// Compiles the four wasm targets of asconfig.json, as many at once as there are cores: each
// AssemblyScript compile is single-threaded and takes 7-8 s, so one after another they were most
// of `npm run build`. Exits non-zero, with asc's messages, if any target fails.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';

const KERNELS = 'src/kernels/wasm/assembly/kernel-versions.ts';
const builds = [
  ['--config', 'asconfig.json', '--target', 'relaxed-simd'],
  ['--config', 'asconfig.json', '--target', 'simd'],
  [KERNELS, '--config', 'asconfig.json', '--target', 'kernel-versions-relaxed-simd'],
  [KERNELS, '--config', 'asconfig.json', '--target', 'kernel-versions-simd'],
];

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
