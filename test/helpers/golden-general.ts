import { openNpz } from '../../src/data/npz.js';
import type { NpyArray } from '../../src/data/npy.js';
import type { SampleKernels } from '../../src/kernels/sample-kernels.js';
import type { FloatArray } from '../../src/model/float-array.js';
import { completeSpec, type NetworkSpec, parseSpecJson, type SequentialLayout } from '../../src/model/stack/index.js';
import { elementwiseRelativeError, relativeError } from './relative-error.js';
import { gradientOf } from './slot-gradient.js';

/** A file of ../shared/golden/general/: per-sample results of PyTorch autograd in float64. */
export interface GeneralGolden {
  readonly spec: NetworkSpec;
  readonly samples: number;
  readonly keys: readonly string[];
  get(key: string): NpyArray;
}

export async function readGeneralGolden(name: string): Promise<GeneralGolden> {
  const archive = await openNpz(new URL(`../../../shared/golden/general/${name}.npz`, import.meta.url).pathname);
  const arrays = new Map<string, NpyArray>();
  for (const key of archive.keys) if (key !== 'spec') arrays.set(key, await archive.read(key));
  const get = (key: string): NpyArray => {
    const a = arrays.get(key);
    if (!a) throw new Error(`${name} lacks ${key}`);
    return a;
  };
  const [samples, C, H, W] = get('images').shape;
  const spec = completeSpec(parseSpecJson(await archive.readText('spec')), { input: [C, H, W], classes: get('logits').shape[1] });
  return { spec, samples, keys: [...arrays.keys()], get };
}

/**
 * Every sample's loss, logits and gradient of `net` against the golden values, worst relative error
 * per key. The slot is dirtied before each sample: sampleGradient must overwrite, not accumulate.
 * `slot` holds at least the kernels' slot layout's values; the gradient compared is the whole one it holds.
 */
export function worstAgainstGolden(
  golden: GeneralGolden,
  net: SampleKernels & { readonly layout: SequentialLayout },
  params: FloatArray,
  slot: FloatArray,
  logits: FloatArray,
): Record<string, number> {
  const { get, spec } = golden;
  const source = { pixels: get('images').data as Float64Array, divisor: 1 };
  const labels = get('labels').data as BigInt64Array;
  const worst: Record<string, number> = {};
  const note = (key: string, e: number) => (worst[key] = Math.max(worst[key] ?? 0, e));
  for (let i = 0; i < golden.samples; i++) {
    slot.fill(7);
    const loss = net.sampleGradient(params, source, i, Number(labels[i]), slot);
    const grad = gradientOf(net, slot);
    note('loss', elementwiseRelativeError([loss], [(get('loss').data as Float64Array)[i]]));
    net.sampleLogits(params, source, i, logits);
    note('logits', relativeError(logits, (get('logits').data as Float64Array).subarray(i * spec.classes, (i + 1) * spec.classes)));
    for (const t of net.layout.tensors) {
      const expected = (get(`g.${t.name}`).data as Float64Array).subarray(i * t.length, (i + 1) * t.length);
      note(`g.${t.name}`, relativeError(grad.subarray(t.offset, t.offset + t.length), expected));
    }
  }
  return worst;
}
