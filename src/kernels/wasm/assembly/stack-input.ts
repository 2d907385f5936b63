import { layer, la, L, net, Net } from './stack-config';
import { PixelKind } from './input';

// The image, from the PIXELS staging area in its source layout (C,H,W), into the first layer's
// input, channel-last (H,W,CP). Each value is pixel / divisor divided in f64 and rounded once to
// f32, as the reference's Float32Array store does; bytes go through a table of the 256 quotients.

@inline function tableEntry(table: usize, b: i32): usize {
  return table + 16 + (<usize>b << 2);
}

export function stackLoadInput(n: usize, kind: i32, divisor: f64): void {
  const C = net(n, Net.IMG_C), H = net(n, Net.IMG_H), W = net(n, Net.IMG_W);
  const first = layer(n, 0);
  const CP = load<i32>(first + (<usize>L.CP << 2));
  const x = la(first, L.IN);
  const pixels = <usize>net(n, Net.PIXELS);
  const table = <usize>net(n, Net.TABLE);
  if (kind == PixelKind.U8 && load<f64>(table) != divisor) {
    for (let b = 0; b < 256; b++) store<f32>(tableEntry(table, b), <f32>(<f64>b / divisor));
    store<f64>(table, divisor);
  }
  const positions = H * W;
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < positions; p++) {
      const i = c * positions + p;
      let v: f32;
      if (kind == PixelKind.U8) v = load<f32>(tableEntry(table, load<u8>(pixels + <usize>i)));
      else if (kind == PixelKind.F32) v = <f32>(<f64>load<f32>(pixels + (<usize>i << 2)) / divisor);
      else v = <f32>(load<f64>(pixels + (<usize>i << 3)) / divisor);
      store<f32>(x + (<usize>(p * CP + c) << 2), v);
    }
  }
}
