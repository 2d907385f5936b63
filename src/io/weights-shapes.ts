/**
 * What the shapes of the seed's six arrays say about the network. A weights file written by the
 * seed's numpy program, or exported from PyTorch, carries no configuration: the filters and kernel
 * sizes are kern's and kern2's shapes and the class count is b's length. The strides and the image
 * size leave no trace except in w's spatial shape, so they are checked against it later
 * (load-weights.ts), not read from here.
 */
import type { NpyDtype } from '../data/npy.js';
import type { ParameterName } from '../model/parameters.js';
import { UserError } from '../util/errors.js';

export interface ArrayInfo {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
}

export interface KernelShape {
  readonly filters: number;
  readonly kernelHeight: number;
  readonly kernelWidth: number;
}

export interface ShapeFacts {
  readonly conv1: KernelShape;
  readonly conv2: KernelShape;
  readonly classes: number;
  /** w's (OH2, OW2); undefined when w is stored flat as (classes, F2*OH2*OW2), PyTorch's Linear layout. */
  readonly denseSpatial: readonly [number, number] | undefined;
  /** Inputs of the dense layer, F2*OH2*OW2. */
  readonly denseIn: number;
}

export function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * Checks that the six shapes fit together and returns the network they describe. kern may be
 * (F1,KH,KW) as in the seed or (F1,1,KH,KW) as PyTorch's Conv2d stores one input channel; w may
 * be (classes,F2,OH2,OW2) as in the seed or (classes,F2*OH2*OW2) as PyTorch's Linear stores it.
 * Both alternatives have the seed's memory layout, so the flat parameters are the same.
 */
export function inferFromShapes(path: string, arrays: Record<ParameterName, ArrayInfo>): ShapeFacts {
  const fail = (name: ParameterName, problem: string): never => {
    throw new UserError(`${path}: array '${name}' ${problem}`);
  };
  const shape = (name: ParameterName) => {
    const s = arrays[name].shape;
    if (s.some((d) => d === 0)) fail(name, `has shape ${shapeText(s)}: it is empty`);
    return s;
  };

  const kern = shape('kern');
  if (!(kern.length === 3 || (kern.length === 4 && kern[1] === 1))) {
    fail('kern', `has shape ${shapeText(kern)}; expected (filters, kernel_h, kernel_w) like the seed's (16, 8, 8), or PyTorch's (filters, 1, kernel_h, kernel_w)`);
  }
  const conv1: KernelShape = { filters: kern[0], kernelHeight: kern[kern.length - 2], kernelWidth: kern[kern.length - 1] };
  const F1 = conv1.filters;

  const kb = shape('kb');
  if (kb.length !== 1 || kb[0] !== F1) fail('kb', `has shape ${shapeText(kb)} but kern has ${F1} filters, so kb must be (${F1},)`);

  const kern2 = shape('kern2');
  if (kern2.length !== 4) fail('kern2', `has shape ${shapeText(kern2)}; expected (filters, ${F1}, kernel_h, kernel_w) like the seed's (8, 16, 4, 4)`);
  if (kern2[1] !== F1) fail('kern2', `has shape ${shapeText(kern2)}: its second dimension must be kern's ${F1} filters`);
  const conv2: KernelShape = { filters: kern2[0], kernelHeight: kern2[2], kernelWidth: kern2[3] };
  const F2 = conv2.filters;

  const kb2 = shape('kb2');
  if (kb2.length !== 1 || kb2[0] !== F2) fail('kb2', `has shape ${shapeText(kb2)} but kern2 has ${F2} filters, so kb2 must be (${F2},)`);

  const b = shape('b');
  if (b.length !== 1) fail('b', `has shape ${shapeText(b)}; expected (classes,)`);
  const classes = b[0];
  if (classes < 2) fail('b', `has shape ${shapeText(b)}: a classifier needs at least 2 classes`);

  const w = shape('w');
  if (w.length !== 4 && w.length !== 2) {
    fail('w', `has shape ${shapeText(w)}; expected (${classes}, ${F2}, rows, columns) like the seed's (10, 8, 9, 9), or PyTorch's flat (${classes}, ${F2}*rows*columns)`);
  }
  if (w[0] !== classes) fail('w', `has shape ${shapeText(w)} but b has ${classes} classes, so its first dimension must be ${classes}`);
  if (w.length === 4) {
    if (w[1] !== F2) fail('w', `has shape ${shapeText(w)}: its second dimension must be kern2's ${F2} filters`);
    return { conv1, conv2, classes, denseSpatial: [w[2], w[3]], denseIn: w[1] * w[2] * w[3] };
  }
  if (w[1] % F2 !== 0) fail('w', `has shape ${shapeText(w)}: ${w[1]} dense inputs are not a multiple of kern2's ${F2} filters`);
  return { conv1, conv2, classes, denseSpatial: undefined, denseIn: w[1] };
}
