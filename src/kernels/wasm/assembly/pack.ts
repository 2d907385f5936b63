import { addr, cfg, Cfg, f32At } from './config';

/**
 * Repacks the parameters into the layouts the kernels read, once per step (the parameters change
 * only between steps). Padded filter lanes get zero weights, so they compute zeros.
 *   w1p[ky,kx,f]   = kern[f,ky,kx]        b1p[f] = kb[f]
 *   w2f[ky,kx,c,f] = kern2[f,c,ky,kx]     (forward: filters are the lanes)
 *   w2b[ky,kx,f,c] = kern2[f,c,ky,kx]     (backward: input channels are the lanes)
 *   b2p[f] = kb2[f]
 */
export function prepare(c: usize, params: usize): void {
  const KH1 = cfg(c, Cfg.KH1);
  const KW1 = cfg(c, Cfg.KW1);
  const F1 = cfg(c, Cfg.F1);
  const F1P = cfg(c, Cfg.F1P);
  const KH2 = cfg(c, Cfg.KH2);
  const KW2 = cfg(c, Cfg.KW2);
  const F2 = cfg(c, Cfg.F2);
  const F2P = cfg(c, Cfg.F2P);
  const kern = f32At(params, cfg(c, Cfg.O_KERN));
  const kb = f32At(params, cfg(c, Cfg.O_KB));
  const kern2 = f32At(params, cfg(c, Cfg.O_KERN2));
  const kb2 = f32At(params, cfg(c, Cfg.O_KB2));
  const w1p = addr(c, Cfg.W1P);
  const b1p = addr(c, Cfg.B1P);
  const w2f = addr(c, Cfg.W2F);
  const w2b = addr(c, Cfg.W2B);
  const b2p = addr(c, Cfg.B2P);
  for (let f = 0; f < F1P; f++) {
    store<f32>(f32At(b1p, f), f < F1 ? load<f32>(f32At(kb, f)) : 0);
    for (let t = 0; t < KH1 * KW1; t++) {
      store<f32>(f32At(w1p, t * F1P + f), f < F1 ? load<f32>(f32At(kern, f * KH1 * KW1 + t)) : 0);
    }
  }
  for (let f = 0; f < F2P; f++) store<f32>(f32At(b2p, f), f < F2 ? load<f32>(f32At(kb2, f)) : 0);
  const taps = KH2 * KW2;
  for (let t = 0; t < taps; t++) {
    for (let ch = 0; ch < F1P; ch++) {
      for (let f = 0; f < F2P; f++) {
        const w: f32 = f < F2 && ch < F1 ? load<f32>(f32At(kern2, (f * F1 + ch) * taps + t)) : 0;
        store<f32>(f32At(w2f, (t * F1P + ch) * F2P + f), w);
        if (f < F2) store<f32>(f32At(w2b, (t * F2 + f) * F1P + ch), w);
      }
    }
  }
}
