import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '../../src/data/npy.js';
import { encodeNpy } from '../../src/data/npz-write.js';

// Debian's python3-numpy and python3-torch install for the system interpreter, which .ci/run installs too.
export const PYTHON = '/usr/bin/python3';
const SCRIPTS = new URL('../../scripts/', import.meta.url).pathname;

const importable = (module: string) => spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
export const numpyImportable = importable('numpy');
export const torchImportable = importable('torch');
// .ci/run installs them: on CI a missing one is a broken machine, and the tests that need it must
// fail, not pass by skipping.
if (process.env.CI && !(numpyImportable && torchImportable)) {
  throw new Error(`CI is set, but ${PYTHON} cannot import ${numpyImportable ? 'torch' : 'numpy'}: install python3-torch (.ci/run does)`);
}

function python(code: string, args: string[]): void {
  const r = spawnSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
}

/**
 * A data set for --data written by numpy itself: random uint8 images stored channel-last
 * (N, H, W, C) as Keras stores colour images, labels cycling through every class, seed's keys.
 */
export function writeNumpyImages(path: string, o: { train: number; test: number; input: readonly [number, number, number]; classes: number; seed: number }): void {
  python(
    [
      'import json, sys, numpy as np',
      'o = json.loads(sys.argv[2])',
      'r = np.random.RandomState(o["seed"])',
      'c, h, w = o["input"]',
      'split = lambda n: (r.randint(0, 256, (n, h, w, c)).astype(np.uint8), r.permutation(np.arange(n) % o["classes"]).astype(np.uint8))',
      '(x, y), (tx, ty) = split(o["train"]), split(o["test"])',
      'np.savez(sys.argv[1], trainimages=x, trainlabels=y, testimages=tx, testlabels=ty)',
    ].join('\n'),
    [path, JSON.stringify(o)],
  );
}

/** What PyTorch writes for a layer stack: its freshly initialised state_dict in `dtype`, np.savez'd beside the architecture JSON. */
export function writeTorchStateDict(path: string, architecture: object, seed: number, dtype: 'float32' | 'float64'): void {
  python(
    [
      'import json, sys, numpy as np, torch',
      `sys.path.insert(0, ${JSON.stringify(SCRIPTS)})`,
      'from torch_sequential import build',
      'torch.manual_seed(int(sys.argv[3]))',
      'text = sys.argv[2]',
      'model = build(json.loads(text)).to(getattr(torch, sys.argv[4]))',
      'np.savez(sys.argv[1], architecture=np.array(text), **{k: v.detach().numpy() for k, v in model.state_dict().items()})',
    ].join('\n'),
    [path, JSON.stringify(architecture), String(seed), dtype],
  );
}

/** A network's input batch: (N, C, H, W) values exactly as the network sees them. */
export interface TorchJob {
  readonly weights: string;
  readonly images: Float64Array;
  readonly shape: readonly number[];
}

/** PyTorch's float64 logits (scripts/torch_logits.py) for each job, in one start of Python and torch; files go to `dir`. */
export function torchLogits(dir: string, jobs: readonly TorchJob[]): Float64Array[] {
  const args = jobs.flatMap((job, i) => {
    const images = join(dir, `torch-images-${i}.npy`);
    writeFileSync(images, encodeNpy(job.images, [...job.shape]));
    return [job.weights, images, join(dir, `torch-logits-${i}.npy`)];
  });
  const r = spawnSync(PYTHON, [join(SCRIPTS, 'torch_logits.py'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_logits.py failed: ${r.stderr}`);
  return jobs.map((_, i) => parseNpy(new Uint8Array(readFileSync(join(dir, `torch-logits-${i}.npy`)))).data as Float64Array);
}

/** softmax of each row of (N, classes) logits, in float64. */
export function softmaxRows(logits: Float64Array, classes: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < logits.length / classes; i++) {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    rows.push(e.map((v) => v / sum));
  }
  return rows;
}

/** A copy of a weights file written by numpy, with every float array multiplied by `factor` in its own dtype. */
export function writeScaledWeights(from: string, to: string, factor: number): void {
  python(
    [
      'import sys, numpy as np',
      'z = dict(np.load(sys.argv[1]))',
      "np.savez(sys.argv[2], **{k: v * v.dtype.type(float(sys.argv[3])) if v.dtype.kind == 'f' else v for k, v in z.items()})",
    ].join('\n'),
    [from, to, String(factor)],
  );
}
