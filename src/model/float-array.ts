/** The two precisions shardtrain computes in. Every buffer of one run has the same one. */
export type Dtype = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

export function floatArrayFor(dtype: Dtype): typeof Float32Array | typeof Float64Array {
  return dtype === 'float32' ? Float32Array : Float64Array;
}

export function allocFloat(dtype: Dtype, length: number): FloatArray {
  return new (floatArrayFor(dtype))(length);
}

/** A float array of `length` elements over shared memory, so worker threads see the same values. */
export function allocSharedFloat(dtype: Dtype, length: number): FloatArray {
  const bytes = length * floatArrayFor(dtype).BYTES_PER_ELEMENT;
  return dtype === 'float32' ? new Float32Array(new SharedArrayBuffer(bytes)) : new Float64Array(new SharedArrayBuffer(bytes));
}
