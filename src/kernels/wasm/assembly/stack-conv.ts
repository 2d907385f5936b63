import { convBackwardPlain, convForwardPlain } from './stack-conv-plain';

// A stack's convolution (stack-conv-plain.ts has the layouts). Versions, chosen here and nowhere
// else; `plain` (the configuration's PLAIN flag) runs the plain ones whatever the shape, so that
// the tests can hold each fast version to them:
//   forward   plain   any shape (stack-conv-plain.ts);
//   backward  plain   any shape (stack-conv-plain.ts).

export function convForward(l: usize, plain: bool): void {
  convForwardPlain(l);
}

export function convBackward(l: usize, slot: usize, plain: bool): void {
  convBackwardPlain(l, slot);
}
