import { la, lf, L } from './stack-config';
import { biasGradient, convForwardPlain, inputGradientPlain, weightGradientPlain } from './stack-conv-plain';
import { scatterForward, scatterWeightGradient } from './stack-conv-scatter';
import { blockForward, fitsPairBlocks, pairForwardBlocks } from './stack-conv-blocks';
import { listBackward } from './stack-conv-list';
import { fitsWindows, pairForward, tapWeightGradient } from './stack-conv-windows';

// A stack's convolution (stack-conv-plain.ts has the layouts). Versions, chosen here and nowhere
// else; `plain` (the configuration's PLAIN flag) runs the plain ones whatever the shape, so that
// the tests can hold each fast version to them:
//   forward          plain    any shape (stack-conv-plain.ts);
//                    pairs    at most 4 input channels, an image's, filters in whole blocks of 16,
//                             padded rows of at most 64 pixels (stack-conv-windows.ts);
//                    scatter  at most 4 input channels otherwise (stack-conv-scatter.ts);
//                    pair blocks  5 to 32 input channels, none padded, no padding, filters in
//                             whole blocks of 16 (stack-conv-blocks.ts);
//                    blocks   5 to 32 input channels otherwise (stack-conv-blocks.ts);
//   weight gradient  plain    any shape;
//                    taps     as the forward's pairs, from the padded input the forward made;
//                    scatter  at most 4 input channels otherwise;
//                    list     more than 4 input channels and no padding, with the input gradient
//                             in the same pass (stack-conv-list.ts);
//   input gradient   plain    any shape but the list version's.

/** Whether the input is an image's few channels, mostly exact zeros: the scatter versions' case. */
@inline function fewChannels(l: usize): bool {
  return lf(l, L.CP) == 4;
}

export function convForward(l: usize, plain: bool): void {
  if (plain) convForwardPlain(l);
  else if (fewChannels(l) && fitsWindows(l)) pairForward(l);
  else if (fewChannels(l)) scatterForward(l);
  else if (lf(l, L.CP) <= 32 && fitsPairBlocks(l)) pairForwardBlocks(l);
  else if (lf(l, L.CP) <= 32) blockForward(l);
  else convForwardPlain(l);
}

export function convBackward(l: usize, slot: usize, plain: bool): void {
  biasGradient(l, slot);
  if (!plain && !fewChannels(l) && lf(l, L.PH) == 0 && lf(l, L.PW) == 0) {
    listBackward(l, slot);
    return;
  }
  if (!plain && fewChannels(l) && fitsWindows(l)) tapWeightGradient(l, slot);
  else if (!plain && fewChannels(l)) scatterWeightGradient(l, slot);
  else weightGradientPlain(l, slot);
  if (la(l, L.DIN) != 0) inputGradientPlain(l);
}
