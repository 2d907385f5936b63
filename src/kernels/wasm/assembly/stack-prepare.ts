import { Kind, la, layer, lf, L, net, Net } from './stack-config';

/**
 * Repacks each convolution's parameters into the layouts its kernels read, once per job (the
 * parameters change only between jobs). Padded lanes get zero weights, so they compute +0.
 *   wf[ky,kx,c,f] = w[f,c,ky,kx]   (forward: the output channels are the lanes)
 *   wb[ky,kx,f,c] = w[f,c,ky,kx]   (backward to the input: the input channels are the lanes)
 *   bp[f] = b[f]
 * Dense layers read the parameters in place.
 */
export function stackPrepare(n: usize, params: usize): void {
  const count = net(n, Net.LAYERS);
  for (let i = 0; i < count; i++) {
    const l = layer(n, i);
    if (lf(l, L.KIND) == Kind.CONV) prepareConv(l, params);
  }
}

function prepareConv(l: usize, params: usize): void {
  const C = lf(l, L.C), CP = lf(l, L.CP), F = lf(l, L.F), FP = lf(l, L.FP);
  const taps = lf(l, L.KH) * lf(l, L.KW);
  const w = params + (<usize>lf(l, L.O_W) << 2);
  const b = params + (<usize>lf(l, L.O_B) << 2);
  const wf = la(l, L.WF), wb = la(l, L.WB), bp = la(l, L.BP);
  for (let f = 0; f < FP; f++) store<f32>(bp + (<usize>f << 2), f < F ? load<f32>(b + (<usize>f << 2)) : 0);
  for (let t = 0; t < taps; t++) {
    for (let c = 0; c < CP; c++) {
      for (let f = 0; f < FP; f++) {
        const v: f32 = f < F && c < C ? load<f32>(w + (<usize>((f * C + c) * taps + t) << 2)) : 0;
        if (c < C) store<f32>(wf + (<usize>((t * C + c) * FP + f) << 2), v);
        if (wb != 0 && f < F) store<f32>(wb + (<usize>((t * F + f) * CP + c) << 2), v);
      }
    }
  }
}
