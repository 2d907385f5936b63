import { randomFillSync } from 'node:crypto';

/** Uniform words per refill of the buffer. */
const WORDS = 8192;

/**
 * Uniforms in [0, 1) with 53 random bits from the operating system's cryptographic generator, for
 * what must not be predictable from the seed (--secure-noise: the noise and the Poisson batches).
 */
export class SecureUniform {
  private readonly words = new Uint32Array(WORDS);
  private next = WORDS;

  nextDouble(): number {
    if (this.next + 2 > WORDS) {
      randomFillSync(this.words);
      this.next = 0;
    }
    const a = this.words[this.next++] >>> 5;
    const b = this.words[this.next++] >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
}
