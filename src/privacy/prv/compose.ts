import FFT from 'fft.js';
import type { DiscretePrv } from './discretise.js';

/**
 * The distribution of the sum of `steps` independent copies of a discrete PRV: the pmf's
 * `steps`-th convolution power, as the `steps`-th power of its discrete Fourier transform (one
 * forward and one inverse FFT, whatever the number of steps).
 *
 * The FFT's convolution is circular: a sum of indices k lands at k mod length. The sum of `steps`
 * points (lo + i_s) dt is (steps*lo + k) dt, so the point (lo + j) dt of the result holds the
 * circular result at j - (steps - 1) lo; mass outside the window wraps around, which the grid's
 * width (safeHalfWidth) makes negligible. Opacus's np.roll by steps - 1 (+ length/2) is this
 * rotation for its grid, where lo = 1 - length/2.
 */
export function selfCompose(prv: DiscretePrv, steps: number): DiscretePrv {
  const { grid, pmf } = prv;
  const n = grid.length;
  const fft = fftOfLength(n);
  const spectrum = new Float64Array(2 * n);
  fft.realTransform(spectrum, pmf);
  for (let k = 0; k <= n / 2; k++) {
    const re = spectrum[2 * k];
    const im = spectrum[2 * k + 1];
    // Polar form: |z|^steps e^(i steps arg z) costs the same for 10 steps or 100,000.
    const modulus = Math.sqrt(re * re + im * im) ** steps;
    const angle = steps * Math.atan2(im, re);
    spectrum[2 * k] = modulus * Math.cos(angle);
    spectrum[2 * k + 1] = modulus * Math.sin(angle);
  }
  // realTransform leaves the upper half of the spectrum undefined; a real pmf's is the mirror image.
  fft.completeSpectrum(spectrum);
  const circular = new Float64Array(2 * n);
  fft.inverseTransform(circular, spectrum);

  const rotation = mulMod(steps - 1, -grid.lo, n);
  const composed = new Float64Array(n);
  for (let j = 0; j < n; j++) composed[j] = circular[2 * ((j + rotation) % n)];
  return { grid, pmf: composed, shift: steps * prv.shift };
}

/**
 * The last FFT made, kept because building one (a table of 2 length cosines and sines) cost
 * 80-170 ms of a 500 ms call at length 2^19, and a noise bisection asks for the same length again
 * and again.
 */
let lastFft: FFT | undefined;

function fftOfLength(n: number): FFT {
  if (lastFft?.size !== n) lastFft = new FFT(n);
  return lastFft;
}

/** a*b mod n for a, b >= 0 without leaving the doubles' exact integers. */
function mulMod(a: number, b: number, n: number): number {
  return ((a % n) * (b % n)) % n;
}
