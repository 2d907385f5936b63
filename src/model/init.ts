import type { FloatArray } from './float-array.js';
import type { ModelDims } from './config.js';
import type { ParameterLayout } from './parameters.js';
import { parameterViews } from './parameters.js';

/** A source of standard-normal draws, consumed in the seed's order: kern, kern2, w. */
export interface NormalSource {
  initNormal(): number;
}

/**
 * The seed's initialisation: He-normal convolution kernels (sqrt(2/fan_in)), the dense weights
 * scaled by sqrt(6/(fan_in + classes)), zero biases. Draws are float64 and rounded once on store,
 * so --rng numpy reproduces `np.random.randn(...) * scale` exactly in float64.
 */
export function initParameters(params: FloatArray, layout: ParameterLayout, d: ModelDims, rng: NormalSource): void {
  const p = parameterViews(params, layout);
  const { conv1: c1, conv2: c2 } = d;
  const fill = (t: FloatArray, scale: number): void => {
    for (let i = 0; i < t.length; i++) t[i] = rng.initNormal() * scale;
  };
  fill(p.kern, Math.sqrt(2 / (c1.C * c1.KH * c1.KW)));
  p.kb.fill(0);
  fill(p.kern2, Math.sqrt(2 / (c2.C * c2.KH * c2.KW)));
  p.kb2.fill(0);
  fill(p.w, Math.sqrt(6 / (d.denseIn + d.classes)));
  p.b.fill(0);
}
