import type { PrivacyGuarantee } from '../privacy/privacy-settings.js';
import type { Trainer } from '../train/trainer.js';
import { epsilonText } from '../privacy/epsilon-text.js';

/** Under the header of a private run: what it does to each step, and what it will have spent (empty for ordinary runs). */
export function privacyLine(trainer: Trainer): string {
  const dp = trainer.dpSgd;
  if (dp === null) return '';
  const { clip, noise, delta, accountant, sampling, secureNoise, targetEpsilon } = dp.settings;
  const steps = trainer.options.epochs * trainer.stepsPerEpoch;
  const planned = dp.guarantee(steps);
  const batches =
    sampling === 'poisson'
      ? `Poisson sampling at rate ${dp.sampleRate.toPrecision(4)} (expected batch ${dp.divisor.toPrecision(6)})`
      : `shuffled batches of ${trainer.options.batchSize} (not what the accountant assumes)`;
  const calibrated = targetEpsilon === undefined ? '' : ` (calibrated for epsilon ${targetEpsilon})`;
  return (
    `private: clip ${clip}, noise multiplier ${noise.toPrecision(6)}${calibrated}, ${batches}${secureNoise ? ', noise and batches from the OS generator' : ''}; ` +
    `${steps} steps spend epsilon ${epsilonText(planned.epsilon)} at delta ${delta} (${accountant})\n`
  );
}

/** The closing line of a private run: the guarantee the weights were trained under. */
export function describeGuarantee(g: PrivacyGuarantee): string {
  const what = `(${epsilonText(g.epsilon)}, ${g.delta})-differentially private by the ${g.accountant} accountant`;
  const steps = `${g.steps} steps, sample rate ${g.sampleRate.toPrecision(4)}, noise multiplier ${g.noise.toPrecision(6)}, clip ${g.clip}`;
  const seeded = g.secureNoise ? '' : '; its noise and batches follow from --seed, so it holds only against whoever does not know the seed (--secure-noise for weights to release)';
  if (g.covered) return `privacy: ${what} (${steps})${seeded}`;
  return `privacy: not covered: the accountant assumes Poisson sampling and this run took shuffled batches; with Poisson sampling it would be ${what} (${steps})`;
}
