import type { Xoshiro128StarStar } from './xoshiro128.js';

/**
 * Standard normals by Marsaglia and Tsang's ziggurat ("The Ziggurat Method for Generating Random
 * Variables", 2000), for private training's noise: one per parameter per step, where the polar
 * method's logarithm and four 53-bit uniforms per pair took about 1 ms per step of 26,000.
 *
 * The density is covered by 128 layers of equal area; a draw picks a layer and a point in it, and
 * 98.8% of draws fall in the layer's rectangle under the curve, costing one 32-bit word, a
 * multiply and a compare. The rest are decided exactly, by the curve or by the tail beyond r.
 * As Doornik ("An Improved Ziggurat Method", 2005) advises, the layer comes from bits of its own
 * (a word gives four layers), not from the low bits of the word that places the point.
 */

const LAYERS = 128;
/** Where the tail starts, and the area of each layer (Marsaglia and Tsang's constants for 128). */
const R = 3.442619855899;
const AREA = 9.91256303526217e-3;
const TWO_31 = 2147483648;

/**
 * kn[i]: |word| below it falls in layer i's rectangle; wn[i]: the word's scale to x; fn[i]:
 * exp(-x_i^2/2). One array, kn then wn then fn, so that the wasm kernels can take a copy and
 * decide every draw as this file does (kernels/wasm/assembly/noise.ts).
 */
export const ZIGGURAT_TABLES = new Float64Array(3 * LAYERS);
const kn = ZIGGURAT_TABLES.subarray(0, LAYERS);
const wn = ZIGGURAT_TABLES.subarray(LAYERS, 2 * LAYERS);
const fn = ZIGGURAT_TABLES.subarray(2 * LAYERS);
{
  let dn = R;
  let tn = dn;
  const q = AREA / Math.exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * TWO_31;
  kn[1] = 0;
  wn[0] = q / TWO_31;
  wn[LAYERS - 1] = dn / TWO_31;
  fn[0] = 1;
  fn[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(AREA / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * TWO_31;
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / TWO_31;
  }
}

/**
 * out[from, to) = stddev x the next normals of `stream`. Each backend has one (Backend.normalFill),
 * all bitwise the same as this, the reference; the stream is used up (its state after is theirs).
 */
export type NormalFill = (out: Float64Array, from: number, to: number, stddev: number, stream: Xoshiro128StarStar) => void;

export const fillNormals: NormalFill = (out, from, to, stddev, stream) => {
  const normal = new ZigguratNormal(stream);
  for (let j = from; j < to; j++) out[j] = stddev * normal.next();
};

export class ZigguratNormal {
  private layerBits = 0;
  private layersLeft = 0;

  constructor(private readonly rng: Xoshiro128StarStar) {}

  next(): number {
    for (;;) {
      const word = this.rng.nextUint32() | 0;
      const layer = this.nextLayer();
      const x = word * wn[layer];
      if (Math.abs(word) < kn[layer]) return x;
      if (layer === 0) return this.tail(word < 0);
      // Between the rectangle and the curve: accept x where a uniform height falls under the density.
      if (fn[layer] + this.uniform() * (fn[layer - 1] - fn[layer]) < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /** Beyond R, by Marsaglia's exact method for the normal tail. */
  private tail(negative: boolean): number {
    let x: number;
    let y: number;
    do {
      x = -Math.log(this.uniformOpen()) / R;
      y = -Math.log(this.uniformOpen());
    } while (y + y < x * x);
    return negative ? -R - x : R + x;
  }

  private nextLayer(): number {
    if (this.layersLeft === 0) {
      this.layerBits = this.rng.nextUint32();
      this.layersLeft = 4;
    }
    const layer = this.layerBits & (LAYERS - 1);
    this.layerBits >>>= 8;
    this.layersLeft--;
    return layer;
  }

  private uniform(): number {
    return this.rng.nextDouble();
  }

  /** In (0, 1], for logarithms. */
  private uniformOpen(): number {
    return 1 - this.rng.nextDouble();
  }
}
