import { Kind, layer, lf, L, net, Net } from './stack-config';
import { reluBackward, reluForward, tanhBackward, tanhForward, flattenBackward, flattenForward } from './stack-activation';
import { convBackward, convForward } from './stack-conv';
import { denseBackward, denseForward } from './stack-dense';
import { maxpoolBackward, maxpoolForward } from './stack-pool';

// Entry points for any layer stack (../wasm-stack-network.ts). `n` is the address of an instance's
// configuration block (stack-config.ts), `l` of one layer's record in it; parameters and gradient
// slots are byte addresses in the shared memory.

/** Every layer in order, from the input stackLoadInput left to the logits (the last layer's OUT). */
export function stackForward(n: usize, params: usize): void {
  const plain = net(n, Net.PLAIN) != 0;
  const count = net(n, Net.LAYERS);
  for (let i = 0; i < count; i++) layerForward(layer(n, i), params, plain);
}

/** From the last layer's DOUT (the JS side writes dlogits there) to the whole gradient slot. */
export function stackBackward(n: usize, params: usize, slot: usize): void {
  const plain = net(n, Net.PLAIN) != 0;
  for (let i = net(n, Net.LAYERS) - 1; i >= 0; i--) layerBackward(layer(n, i), params, slot, plain);
}

export function layerForward(l: usize, params: usize, plain: bool): void {
  switch (lf(l, L.KIND)) {
    case Kind.CONV: convForward(l, plain); break;
    case Kind.MAXPOOL: maxpoolForward(l, plain); break;
    case Kind.RELU: reluForward(l); break;
    case Kind.TANH: tanhForward(l, plain); break;
    case Kind.FLATTEN: flattenForward(l); break;
    case Kind.DENSE: denseForward(l, params); break;
  }
}

/** Layer l's parameter gradients into the slot, and its input gradient when an earlier layer needs it. */
export function layerBackward(l: usize, params: usize, slot: usize, plain: bool): void {
  switch (lf(l, L.KIND)) {
    case Kind.CONV: convBackward(l, slot, plain); break;
    case Kind.MAXPOOL: maxpoolBackward(l); break;
    case Kind.RELU: reluBackward(l); break;
    case Kind.TANH: tanhBackward(l); break;
    case Kind.FLATTEN: flattenBackward(l); break;
    case Kind.DENSE: denseBackward(l, params, slot); break;
  }
}
