// Private training's seeded noise in wasm: rng/ziggurat.ts's normals from rng/xoshiro128.ts's
// stream, draw for draw, so the two give bitwise the same values. The few draws that fall outside
// a layer's rectangle call the host's Math.exp and Math.log, as the reference does.

const LAYERS: u32 = 128;
const R: f64 = 3.442619855899;

/** The next word of the xoshiro128** state held at `state` (four u32). */
function nextWord(state: usize): u32 {
  let a = load<u32>(state), b = load<u32>(state, 4), c = load<u32>(state, 8), d = load<u32>(state, 12);
  const r = rotl<u32>(b * 5, 7) * 9;
  const t = b << 9;
  c ^= a;
  d ^= b;
  b ^= c;
  a ^= d;
  c ^= t;
  d = rotl<u32>(d, 11);
  store<u32>(state, a);
  store<u32>(state, b, 4);
  store<u32>(state, c, 8);
  store<u32>(state, d, 12);
  return r;
}

/** xoshiro128.ts's nextDouble: 53 random bits in [0, 1). */
function nextDouble(state: usize): f64 {
  const a = <f64>(nextWord(state) >>> 5);
  const b = <f64>(nextWord(state) >>> 6);
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

/** Beyond R, by Marsaglia's exact method for the normal tail (ziggurat.ts's tail). */
function tail(state: usize, negative: bool): f64 {
  let x: f64;
  let y: f64;
  do {
    x = -JSMath.log(1 - nextDouble(state)) / R;
    y = -JSMath.log(1 - nextDouble(state));
  } while (y + y < x * x);
  return negative ? -R - x : R + x;
}

/**
 * out[j] = stddev * z_j for j < count: the normals of the xoshiro128** stream whose state is the
 * four u32 at `state`, started afresh (no layer bits left over); the state is left used up.
 * `tables` holds ziggurat.ts's kn, wn and fn, 128 f64 each, copied from the reference so that
 * both decide every draw alike.
 *
 * The state lives in locals here, for the 98.8% of draws that fall in a rectangle: kept in memory
 * throughout, every update waited on the previous one's stores and a normal took 8 ns instead of
 * 4. The rare draws go through memory (nextWord).
 */
export function drawNormals(out: usize, count: i32, stddev: f64, tables: usize, state: usize): void {
  const kn = tables;
  const wn = tables + (<usize>LAYERS << 3);
  const fn = tables + (<usize>LAYERS << 4);
  let a = load<u32>(state), b = load<u32>(state, 4), c = load<u32>(state, 8), d = load<u32>(state, 12);
  let layerBits: u32 = 0;
  let layersLeft = 0;
  let word: i32 = 0;
  let haveWord = false;
  for (let j = 0; j < count; j++) {
    let z: f64 = 0;
    for (;;) {
      const next = rotl<u32>(b * 5, 7) * 9;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = rotl<u32>(d, 11);
      // A draw takes the point's word, then, when its four layers are used up, a word of layer
      // bits (ziggurat.ts's next and nextLayer).
      if (!haveWord) {
        word = <i32>next;
        haveWord = true;
        if (layersLeft == 0) continue;
      } else {
        layerBits = next;
        layersLeft = 4;
      }
      haveWord = false;
      const layer = <usize>(layerBits & (LAYERS - 1));
      layerBits >>>= 8;
      layersLeft--;
      const w = <f64>word;
      const x = w * load<f64>(wn + (layer << 3));
      if (Math.abs(w) < load<f64>(kn + (layer << 3))) {
        z = x;
        break;
      }
      store<u32>(state, a);
      store<u32>(state, b, 4);
      store<u32>(state, c, 8);
      store<u32>(state, d, 12);
      let done = true;
      if (layer == 0) {
        z = tail(state, word < 0);
      } else {
        // Between the rectangle and the curve: accept x where a uniform height falls under the density.
        const f = load<f64>(fn + (layer << 3));
        const below = load<f64>(fn + ((layer - 1) << 3));
        z = x;
        done = f + nextDouble(state) * (below - f) < JSMath.exp(-0.5 * x * x);
      }
      a = load<u32>(state);
      b = load<u32>(state, 4);
      c = load<u32>(state, 8);
      d = load<u32>(state, 12);
      if (done) break;
    }
    store<f64>(out + (<usize>j << 3), stddev * z);
  }
}
