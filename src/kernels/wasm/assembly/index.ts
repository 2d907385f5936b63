// Entry points of the kernel module (see ../README.md for the memory contract). Every network
// kernel takes `c`, the address of its instance's configuration block (config.ts); parameters and
// gradient slots are passed as byte addresses in the shared memory.
import { conv1Backward, conv1Forward } from './conv1';
import { conv2Backward, conv2Forward } from './conv2';
import { denseBackward, denseForward } from './dense';

export { loadInput } from './input';
export { prepare } from './pack';
export { conv1Forward, conv1Backward } from './conv1';
export { conv2Forward, conv2Backward } from './conv2';
export { denseForward, denseBackward } from './dense';
export { meanOfSum, adamUpdate } from './optim';
export { addLaidOutSlots } from './slot-sum';
export { clipSlot } from './clip';
export { drawNormals } from './noise';

/** conv1 -> ReLU -> conv2 -> ReLU -> dense, from the input loadInput left to the logits. */
export function forward(c: usize, params: usize): void {
  conv1Forward(c);
  conv2Forward(c);
  denseForward(c, params);
}

/** From the DLOGITS the caller wrote (softmax cross-entropy runs in JS) to the whole gradient slot. */
export function backward(c: usize, params: usize, slot: usize): void {
  denseBackward(c, params, slot);
  conv2Backward(c, slot);
  conv1Backward(c, slot);
}

// Any layer stack (stack.ts).
export { stackLoadInput } from './stack-input';
export { stackPrepare } from './stack-prepare';
export { stackForward, stackBackward, layerForward, layerBackward } from './stack';
