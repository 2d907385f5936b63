/**
 * Area resampling: output pixel i of a row covers the input interval [i*s, (i+1)*s) with
 * s = inputSize/outputSize, and is the mean of the input cells over it, each weighted by the part
 * of it inside. Shrinking averages (no aliasing: every input pixel counts), enlarging replicates,
 * an exact 2x enlargement resized back gives the original. Rows and columns are resampled one
 * after the other, which is the same linear map as the 2-D average. The aspect ratio is not kept:
 * the image is stretched to the network's input.
 */

/** Row i of the (outSize x inSize) resampling matrix, stored sparsely. */
interface AreaWeights {
  readonly first: number[];
  readonly weights: number[][];
}

function areaWeights(outSize: number, inSize: number): AreaWeights {
  const scale = inSize / outSize;
  const first: number[] = [];
  const weights: number[][] = [];
  for (let i = 0; i < outSize; i++) {
    const lo = i * scale;
    const hi = (i + 1) * scale;
    const start = Math.floor(lo);
    const end = Math.min(inSize, Math.ceil(hi));
    const row: number[] = [];
    for (let y = start; y < end; y++) row.push(Math.max(0, Math.min(hi, y + 1) - Math.max(lo, y)) / scale);
    first.push(start);
    weights.push(row);
  }
  return { first, weights };
}

/** src is (height, width) row-major; returns (outHeight, outWidth). */
export function resizeArea(src: Float64Array, height: number, width: number, outHeight: number, outWidth: number): Float64Array {
  const rows = areaWeights(outHeight, height);
  const cols = areaWeights(outWidth, width);
  // Vertical pass: (outHeight, width).
  const tall = new Float64Array(outHeight * width);
  for (let i = 0; i < outHeight; i++) {
    const w = rows.weights[i];
    for (let k = 0; k < w.length; k++) {
      const from = (rows.first[i] + k) * width;
      for (let x = 0; x < width; x++) tall[i * width + x] += w[k] * src[from + x];
    }
  }
  // Horizontal pass: (outHeight, outWidth).
  const out = new Float64Array(outHeight * outWidth);
  for (let i = 0; i < outHeight; i++) {
    for (let j = 0; j < outWidth; j++) {
      const w = cols.weights[j];
      let acc = 0;
      for (let k = 0; k < w.length; k++) acc += w[k] * tall[i * width + cols.first[j] + k];
      out[i * outWidth + j] = acc;
    }
  }
  return out;
}
