// Where one sample's time goes in a layer stack: µs per sample of each layer's forward and backward
// pass, and of whole sampleGradient calls on one thread, for WasmStackNetwork's fast and plain
// versions in both builds (relaxed-SIMD FMA and plain SIMD) and the TypeScript reference in float32.
// Real embedded MNIST digits, and the same digits dilated (a 3x3 maximum, applied until about half
// the pixels are nonzero, as in Fashion-MNIST) for dense data. Weights after --train-epochs of
// training (so the ReLU zeros the kernels skip are a real run's). The variants alternate run by run
// in one process; each figure is the median (or minimum) over --runs. The wasm variants also time
// the slot sum of a batch (100 samples' gradients summed as the trainer's main thread sums them, in
// runs of 8 slots), given per sample.
//   npm run build && node dist/bench/research/stack-phases.js [--preset opacus-mnist] [--samples 1000] [--runs 5]
//     [--other path/to/kernels-relaxed-simd.wasm] [--plain 0] [--typescript 0] [--stat median|min]
import { median } from '../../src/util/median.js';
import { loadEmbeddedMnist } from '../../src/data/embedded-mnist.js';
import { deriveDims, SEED_MODEL } from '../../src/model/config.js';
import { denseBackward, denseForward } from '../../src/model/dense.js';
import { convBackward, convForward } from '../../src/model/layers/conv.js';
import { maxpoolBackward, maxpoolForward } from '../../src/model/layers/maxpool.js';
import { tanhBackward, tanhForward } from '../../src/model/layers/tanh.js';
import { reluBackward, reluForward } from '../../src/model/relu.js';
import { softmaxCrossEntropy } from '../../src/model/softmax-cross-entropy.js';
import {
  completeSpec, deriveStackDims, initStackParameters, isPresetName, layerParameterViews, parseDescription, PRESETS,
  sequentialLayout, StackNetwork,
} from '../../src/model/stack/index.js';
import { readScriptFlags } from '../script-flags.js';
import { BATCH, dilate, trainedParameters } from './phase-inputs.js';
import { readFile } from 'node:fs/promises';
import {
  allocFloat32, createWasmBackend, WasmBackend, type WasmModule, WasmNetwork, WasmSlotSum, WasmStackNetwork,
} from '../../src/kernels/wasm/index.js';
import type { ImageSource } from '../../src/kernels/sample-kernels.js';

const flags = readScriptFlags({
  url: import.meta.url,
  summary: "Where one sample's time goes in a layer stack: µs per layer and pass, and per whole sampleGradient, for each wasm variant (fast and plain versions) and the TypeScript reference.",
  flags: {
    preset: { default: 'opacus-mnist', describe: 'a preset name or a compact description' },
    samples: { default: '1000', describe: 'training images timed per run' },
    runs: { default: '5', describe: 'timed runs of each variant, alternating, after one untimed' },
    'train-epochs': { default: '1', describe: "epochs of training before timing, so that the ReLU zeros are a real run's" },
    typescript: { default: '1', describe: '0 leaves the (slow) TypeScript reference out' },
    other: { default: '', describe: "another build's kernels-relaxed-simd.wasm, timed as 'fma other' beside the fast versions (A/B of a kernel change)" },
    plain: { default: '1', describe: '0 leaves the plain versions out' },
    stat: { default: 'median', describe: 'median or min over the runs (min: steadier when other processes share the cores)' },
  },
});
const SAMPLES = flags.integer('samples', 1);
const RUNS = flags.integer('runs', 1);
const TRAIN_EPOCHS = flags.integer('train-epochs', 0);
const WITH_TS = flags.integer('typescript', 0) > 0;
const WITH_PLAIN = flags.integer('plain', 0) > 0;
const OTHER = flags.text('other');
const STAT = flags.text('stat');
if (STAT !== 'median' && STAT !== 'min') flags.refuse(`--stat takes median or min, got '${STAT}'`);
const stat = (xs: number[]) => (STAT === 'min' ? Math.min(...xs) : median(xs));
const preset = flags.text('preset');
const description = isPresetName(preset) ? PRESETS[preset] : preset;

const dataset = loadEmbeddedMnist();
const digits = dataset.train;
const dims = deriveStackDims(completeSpec(parseDescription(description), { input: [1, digits.height, digits.width], classes: dataset.classes }));
const layout = sequentialLayout(dims);
const fast = await createWasmBackend();
const plainSimd = await createWasmBackend({ simd: 'simd' });
const trained = trainedParameters(
  fast,
  {
    parameters: layout.total,
    init: (params, normals) => initStackParameters(params, layout, dims, normals),
    kernels: (backend) => WasmStackNetwork.create(backend, dims),
  },
  digits,
  TRAIN_EPOCHS,
);
const dilated = dilate(digits.pixels as Uint8Array, digits.height, digits.width);

/** A relaxed-SIMD backend on its own memory from another build's module file. */
async function backendFromFile(path: string): Promise<WasmBackend> {
  const api = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<WasmModule> } }).WebAssembly;
  const memory = (await createWasmBackend({ simd: 'relaxed-simd-fma' })).memory;
  const bytes = await readFile(path).catch((e: NodeJS.ErrnoException) => flags.refuse(`--other ${path}: cannot read it (${e.code ?? e.message})`));
  try {
    return new WasmBackend(memory, await api.compile(bytes), 'relaxed-simd-fma');
  } catch (e) {
    return flags.refuse(`--other ${path}: not a wasm module this V8 compiles (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
}

/** Phase names: input, each layer forward, loss, each layer backward (last first). */
const PHASES = ['input', ...dims.layers.map((l) => `${l.position} ${l.text} fwd`), 'loss', ...[...dims.layers].reverse().map((l) => `${l.position} ${l.text} bwd`)];

type Timer = (images: ImageSource, t: Float64Array) => void;
const NO_PHASES: Timer = () => {};
interface Timers {
  phases: Timer;
  whole: Timer;
  /** The slot sum of a batch of the first images' gradients, SUM_REPEATS times (wasm variants). */
  sum?: Timer;
}
const SUM_REPEATS = 20;

/** A wasm variant's phases, each layer's kernel called alone as sampleGradient calls them in turn. */
function wasmTimer(backend: WasmBackend, plain: boolean): Timers {
  const net = WasmStackNetwork.create(backend, dims, { plain });
  const params = allocFloat32(backend.memory, layout.total);
  params.set(trained);
  net.prepare(params);
  const slot = allocFloat32(backend.memory, layout.total);
  const k = net.kernels;
  const records = net.scratch.layerRecords;
  const [p, s, P] = [params.byteOffset, slot.byteOffset, plain ? 1 : 0];
  const L = records.length;
  const batchSlots = allocFloat32(backend.memory, BATCH * net.slots.length);
  const slotSum = new WasmSlotSum(backend, batchSlots, net.slots);
  const mean = allocFloat32(backend.memory, layout.total);
  let slotsOf: ImageSource | null = null;
  return {
    phases: (images, t) => {
      for (let i = 0; i < SAMPLES; i++) {
        let q = 0;
        let at = performance.now();
        const stamp = () => {
          const now = performance.now();
          t[q++] += now - at;
          at = now;
        };
        net.loadInput(images, i);
        stamp();
        for (let j = 0; j < L; j++) {
          k.layerForward(records[j], p, P);
          stamp();
        }
        net.loss(digits.labels[i]);
        stamp();
        for (let j = L - 1; j >= 0; j--) {
          k.layerBackward(records[j], p, s, P);
          stamp();
        }
      }
    },
    whole: (images, t) => {
      const started = performance.now();
      for (let i = 0; i < SAMPLES; i++) net.sampleGradient(params, images, i, digits.labels[i], slot);
      t[0] += performance.now() - started;
    },
    sum: (images, t) => {
      const length = net.slots.length;
      if (slotsOf !== images) {
        for (let i = 0; i < BATCH; i++) net.sampleGradient(params, images, i, digits.labels[i], batchSlots.subarray(i * length, (i + 1) * length));
        slotsOf = images;
      }
      const started = performance.now();
      for (let r = 0; r < SUM_REPEATS; r++) {
        slotSum.add(0, BATCH);
        slotSum.finish(mean, BATCH);
      }
      t[0] += performance.now() - started;
    },
  };
}

/** The reference's phases: model/stack/network.ts's layer functions, called as StackNetwork calls them. */
function typescriptTimer(): Timers {
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  const acts = [new Float32Array(dims.inputSize), ...dims.layers.map((l) => new Float32Array(size(l.output)))];
  const grads = [new Float32Array(dims.inputSize), ...dims.layers.map((l) => new Float32Array(size(l.output)))];
  const argmax = dims.layers.map((l) => new Int32Array(size(l.output)));
  const grad = new Float32Array(layout.total);
  const P = layerParameterViews(trained, layout, dims.layers.length);
  const G = layerParameterViews(grad, layout, dims.layers.length);
  const reference = new StackNetwork(dims, 'float32');
  return {
    phases: (images, t) => {
      for (let s = 0; s < SAMPLES; s++) {
        let q = 0;
        let at = performance.now();
        const stamp = () => {
          const now = performance.now();
          t[q++] += now - at;
          at = now;
        };
        for (let j = 0; j < dims.inputSize; j++) acts[0][j] = images.pixels[s * dims.inputSize + j] / images.divisor;
        stamp();
        for (const l of dims.layers) {
          const [i, inp, out] = [l.position - 1, acts[l.position - 1], acts[l.position]];
          if (l.type === 'conv') convForward(out, inp, P[i]!.weight, P[i]!.bias, l.conv);
          else if (l.type === 'maxpool') maxpoolForward(out, argmax[i], inp, l.pool);
          else if (l.type === 'dense') denseForward(out, inp, P[i]!.weight, P[i]!.bias, l.inputs, l.outputs);
          else if (l.type === 'relu') reluForward(out, inp, out.length);
          else if (l.type === 'tanh') tanhForward(out, inp, out.length);
          else out.set(inp);
          stamp();
        }
        grad.fill(0);
        softmaxCrossEntropy(grads[dims.layers.length], acts[dims.layers.length], digits.labels[s], dims.classes);
        stamp();
        for (const l of [...dims.layers].reverse()) {
          const [i, dout, inp, out] = [l.position - 1, grads[l.position], acts[l.position - 1], acts[l.position]];
          const dinp = l.needsInputGradient ? grads[i] : null;
          if (l.type === 'conv') {
            dinp?.fill(0);
            convBackward(dinp, G[i]!.weight, G[i]!.bias, dout, inp, P[i]!.weight, l.conv);
          } else if (l.type === 'dense') denseBackward(dinp, G[i]!.weight, G[i]!.bias, dout, inp, P[i]!.weight, l.inputs, l.outputs);
          else if (dinp !== null && l.type === 'maxpool') {
            dinp.fill(0);
            maxpoolBackward(dinp, dout, argmax[i], l.pool);
          } else if (dinp !== null && l.type === 'relu') reluBackward(dinp, dout, out, out.length);
          else if (dinp !== null && l.type === 'tanh') tanhBackward(dinp, dout, out, out.length);
          else if (dinp !== null) dinp.set(dout);
          stamp();
        }
      }
    },
    whole: (images, t) => {
      const started = performance.now();
      for (let i = 0; i < SAMPLES; i++) reference.sampleGradient(trained, images, i, digits.labels[i], grad);
      t[0] += performance.now() - started;
    },
  };
}

const variants: [string, Timers][] = [
  ['fma fast', wasmTimer(fast, false)],
  ['fma plain', wasmTimer(fast, true)],
  ['simd fast', wasmTimer(plainSimd, false)],
  ['simd plain', wasmTimer(plainSimd, true)],
];
if (fast.simd !== 'relaxed-simd-fma') variants.splice(0, 2);
if (!WITH_PLAIN) variants.splice(0, variants.length, ...variants.filter(([name]) => !name.endsWith('plain')));
if (OTHER !== '') variants.splice(1, 0, ['fma other', wasmTimer(await backendFromFile(OTHER), false)]);
if (WITH_TS) variants.push(['typescript', typescriptTimer()]);
if (description === PRESETS.seed) variants.splice(1, 0, ['fma seed', seedTimer()]);

/** The seed's own WasmNetwork on the same weights: whole sampleGradient calls only (its phases are not the stack's). */
function seedTimer(): Timers {
  const net = WasmNetwork.create(fast, deriveDims({ ...SEED_MODEL, imageHeight: digits.height, imageWidth: digits.width, classes: dataset.classes }));
  const params = allocFloat32(fast.memory, layout.total);
  params.set(trained);
  net.prepare(params);
  const slot = allocFloat32(fast.memory, layout.total);
  return {
    phases: NO_PHASES,
    whole: (images, t) => {
      const started = performance.now();
      for (let i = 0; i < SAMPLES; i++) net.sampleGradient(params, images, i, digits.labels[i], slot);
      t[0] += performance.now() - started;
    },
  };
}

for (const [dataName, images] of [['digits', digits], ['dilated', { pixels: dilated, divisor: digits.divisor }]] as [string, ImageSource][]) {
  const perPhase = variants.map(() => PHASES.map((): number[] => []));
  const perWhole = variants.map((): number[] => []);
  const perSum = variants.map((): number[] => []);
  for (let r = 0; r < RUNS + 1; r++) {
    variants.forEach(([, timer], v) => {
      const t = new Float64Array(PHASES.length);
      timer.phases(images, t);
      const w = new Float64Array(1);
      timer.whole(images, w);
      const u = new Float64Array(1);
      timer.sum?.(images, u);
      // The first run warms the JIT up and is not counted.
      if (r === 0) return;
      PHASES.forEach((_, q) => perPhase[v][q].push((t[q] * 1000) / SAMPLES));
      perWhole[v].push((w[0] * 1000) / SAMPLES);
      if (timer.sum !== undefined) perSum[v].push((u[0] * 1000) / (SUM_REPEATS * BATCH));
    });
  }
  console.log(`\n${description} on ${dataName}: µs per sample, ${STAT} of ${RUNS} alternating runs of ${SAMPLES} samples`);
  // The seed's own kernels time whole samples only: their phase cells stay empty.
  const timesPhases = variants.map(([, timer]) => timer.phases !== NO_PHASES);
  const rows = [...PHASES.map((name, q) => [name, ...variants.map((_, v) => (timesPhases[v] ? stat(perPhase[v][q]) : NaN))] as const)];
  rows.push(['sum of phases', ...variants.map((_, v) => (timesPhases[v] ? PHASES.reduce((a, __, q) => a + stat(perPhase[v][q]), 0) : NaN))]);
  rows.push(['sampleGradient', ...variants.map((_, v) => stat(perWhole[v]))]);
  rows.push(['slot sum', ...variants.map((_, v) => (perSum[v].length > 0 ? stat(perSum[v]) : NaN))]);
  const width = Math.max(...rows.map((r) => String(r[0]).length));
  console.log(`${''.padEnd(width)} ${variants.map(([n]) => n.padStart(11)).join('')}`);
  for (const [name, ...values] of rows) console.log(`${String(name).padEnd(width)} ${values.map((v) => (Number.isNaN(v) ? '' : (v as number).toFixed(2)).padStart(11)).join('')}`);
}
