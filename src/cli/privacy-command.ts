import type { Argv } from 'yargs';
import { ACCOUNTANT_KINDS, type AccountantKind, epsilonSpent, isRdpAccountant, noiseForTarget, rdpSpent, type Spending } from '../privacy/accountant.js';
import { poissonSchedule, stepsOfEpochs } from '../privacy/poisson-schedule.js';
import { UserError } from '../util/errors.js';
import { requireFlagValues } from './flag-values.js';
import { positiveInt } from './parse-values.js';
import { deltaText, epsilonDown, epsilonUp } from '../privacy/epsilon-text.js';
import { PRIVATE_TRAIN_DEFAULTS } from '../train/defaults.js';

// The noise, rate, delta and target are checked by the accountant, which names them as settings:
// the messages then read the same here and in train.
export function privacyBuilder<T>(y: Argv<T>) {
  const privacy = y
    .option('noise', { type: 'number', describe: 'noise multiplier sigma: each step adds N(0, (sigma x clip)^2) to the sum of clipped gradients' })
    .option('target-epsilon', { type: 'number', describe: 'instead of --noise: find the noise multiplier that spends at most this epsilon (to within 0.01, as Opacus)' })
    .option('sample-rate', { type: 'number', describe: 'probability q with which a step takes each training sample (Poisson sampling)' })
    .option('batch-size', { type: 'number', describe: 'instead of --sample-rate, with --train-size: q = 1/ceil(N/B), as Opacus sets it', coerce: positiveInt('batch-size', 1_000_000_000) })
    .option('train-size', { type: 'number', describe: 'training samples N, with --batch-size', coerce: positiveInt('train-size', 1_000_000_000_000) })
    .option('steps', { type: 'number', describe: 'optimizer steps taken', coerce: positiveInt('steps', MAX_STEPS) })
    .option('epochs', { type: 'number', describe: 'instead of --steps: E x ceil(N/B) steps with --batch-size, floor(E/q) with --sample-rate', coerce: positiveInt('epochs', 1_000_000) })
    .option('delta', { type: 'number', default: PRIVATE_TRAIN_DEFAULTS.privacy.delta, describe: "delta of the (epsilon, delta) guarantee, usually below 1/N for N training samples (train --dp's default)" })
    .option('accountant', {
      choices: ACCOUNTANT_KINDS,
      default: 'rdp' as AccountantKind,
      defaultDescription: 'rdp',
      describe:
        "rdp: Renyi DP at Opacus's orders 1.1 to 63, the best of them; rdp-abs: the same with Google dp_accounting's upper bound at fractional orders " +
        '(the magnitudes of their series, summed as dp_accounting does: more at orders near 1); prv: privacy loss random variables, usually a smaller epsilon',
    })
    .option('orders', { type: 'string', describe: 'with rdp or rdp-abs: the Renyi orders (above 1) to minimise over instead of the defaults, comma-separated; prints the RDP at each', coerce: orderList })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout and nothing else there' })
    .group(['noise', 'target-epsilon', 'sample-rate', 'batch-size', 'train-size', 'steps', 'epochs', 'delta'], 'Mechanism:')
    .group(['accountant', 'orders', 'json'], 'Output:');
  return requireFlagValues(privacy);
}

/**
 * The accountant's time grows with the order (an integer order's series has order + 1 terms), and
 * the defaults stop at 63: orders past 10,000 took seconds to forever and never give the minimum.
 */
const MAX_ORDER = 10_000;

function orderList(v: string | number): number[] {
  const parts = String(v).split(',').map((p) => p.trim());
  const orders = parts.map((p) => (p === '' ? NaN : Number(p)));
  if (orders.some((o) => !(o > 1 && o <= MAX_ORDER))) {
    throw new UserError(`--orders must be a comma-separated list of Renyi orders above 1 and up to ${MAX_ORDER}, like 1.5,2,8,32, got '${v}'`);
  }
  const twice = orders.find((o, i) => orders.indexOf(o) !== i);
  if (twice !== undefined) throw new UserError(`--orders lists the order ${twice} twice`);
  return orders;
}

type PrivacyArgs = Awaited<ReturnType<ReturnType<typeof privacyBuilder>['parseAsync']>>;

/** How the sample rate and steps were given, for the report. */
interface Schedule {
  readonly sampleRate: number;
  readonly steps: number;
  readonly batchSize?: number;
  readonly trainSize?: number;
  readonly epochs?: number;
}

/** Epsilon for a noise multiplier, or the noise multiplier for a target epsilon. */
export function runPrivacy(a: PrivacyArgs): void {
  if ((a.noise === undefined) === (a.targetEpsilon === undefined)) {
    throw new UserError('give either --noise (to get epsilon) or --target-epsilon (to get the noise multiplier)');
  }
  const kind = a.accountant;
  const orders = a.orders;
  if (orders !== undefined && !isRdpAccountant(kind)) throw new UserError(`--orders needs a Renyi accountant (--accountant rdp or rdp-abs), not ${kind}`);
  const schedule = scheduleFrom(a);
  const noise = a.noise ?? noiseForTarget(kind, a.targetEpsilon!, a.delta, schedule.sampleRate, schedule.steps, { orders });
  const mechanism = { sampleRate: schedule.sampleRate, noise, steps: schedule.steps };
  const spent = epsilonSpent(kind, mechanism, a.delta, orders);
  // The RDP of so little noise overflows at every order: no order gives a finite epsilon to print.
  if (!Number.isFinite(spent.epsilon)) {
    throw new UserError(`--noise ${noise} over ${schedule.steps} step${schedule.steps === 1 ? '' : 's'} at sample rate ${schedule.sampleRate} spends no finite epsilon by the ${kind} accountant at any order: raise --noise`);
  }
  const rdp = orders === undefined ? undefined : { orders, values: rdpSpent(kind, mechanism, orders) };
  const report: PrivacyReport = { kind, delta: a.delta, noise, targetEpsilon: a.targetEpsilon, schedule, spent, rdp };
  process.stdout.write(`${a.json ? JSON.stringify(privacyJson(report)) : formatPrivacy(report)}\n`);
}

/** Steps the accountants take: a trillion, far past any training run, and still quick to account. */
const MAX_STEPS = 1_000_000_000_000;

function scheduleFrom(a: PrivacyArgs): Schedule {
  const schedule = givenSchedule(a);
  // A rate outside (0, 1] makes no step count to speak of: the accountant refuses the rate itself.
  const rateValid = schedule.sampleRate > 0 && schedule.sampleRate <= 1;
  if (a.epochs !== undefined && rateValid && schedule.steps > MAX_STEPS) {
    const rate = schedule.batchSize === undefined ? `--sample-rate ${schedule.sampleRate}` : `--batch-size ${schedule.batchSize} of --train-size ${schedule.trainSize}`;
    throw new UserError(`--epochs ${a.epochs} at ${rate} makes ${schedule.steps} steps, more than the ${MAX_STEPS} the accountants take`);
  }
  return schedule;
}

function givenSchedule(a: PrivacyArgs): Schedule {
  const byBatch = a.batchSize !== undefined || a.trainSize !== undefined;
  if (byBatch && a.sampleRate !== undefined) throw new UserError('give --sample-rate, or --batch-size with --train-size, not both');
  if (!byBatch && a.sampleRate === undefined) throw new UserError('give --sample-rate, or --batch-size with --train-size');
  if (byBatch && (a.batchSize === undefined || a.trainSize === undefined)) {
    throw new UserError(`--${a.batchSize === undefined ? 'train-size' : 'batch-size'} needs --${a.batchSize === undefined ? 'batch-size' : 'train-size'} too: the sample rate is 1/ceil(N/B)`);
  }
  if ((a.steps === undefined) === (a.epochs === undefined)) throw new UserError('give either --steps or --epochs');
  if (byBatch) {
    const { sampleRate, stepsPerEpoch } = poissonSchedule(a.trainSize!, a.batchSize!);
    const steps = a.steps ?? a.epochs! * stepsPerEpoch;
    return { sampleRate, steps, batchSize: a.batchSize, trainSize: a.trainSize, epochs: a.epochs };
  }
  const sampleRate = a.sampleRate!;
  if (a.steps !== undefined) return { sampleRate, steps: a.steps };
  return { sampleRate, steps: stepsOfEpochs(a.epochs!, sampleRate), epochs: a.epochs };
}

interface PrivacyReport {
  readonly kind: AccountantKind;
  readonly delta: number;
  readonly noise: number;
  readonly targetEpsilon?: number;
  readonly schedule: Schedule;
  readonly spent: Spending;
  /** With --orders: the RDP of the whole run at each order. */
  readonly rdp?: { readonly orders: readonly number[]; readonly values: readonly number[] };
}

function privacyJson(r: PrivacyReport): Record<string, unknown> {
  const { epsilon, ...details } = r.spent;
  return {
    accountant: r.kind,
    epsilon,
    delta: r.delta,
    noise: r.noise,
    ...(r.targetEpsilon === undefined ? {} : { targetEpsilon: r.targetEpsilon }),
    ...r.schedule,
    ...details,
    ...(r.rdp === undefined ? {} : { rdp: r.rdp }),
  };
}

/** An accountant's detail beside the epsilon: PRV's bounds are rounded as the epsilon is, outward. */
function detailText(key: string, value: number): string {
  if (key === 'order') return `best order ${value}`;
  if (key === 'epsilonLower') return `lower bound ${epsilonDown(value, 6)}`;
  if (key === 'epsilonEstimate') return `estimate ${Number(value.toPrecision(6))}`;
  return `${key} ${value}`;
}

/** Two lines: what is spent (or the noise found), then the mechanism it was computed for; with --orders a third, the RDP at each. */
function formatPrivacy(r: PrivacyReport): string {
  const { epsilon, ...details } = r.spent;
  const how = [`${r.kind} accountant`, ...Object.entries(details).map(([key, value]) => detailText(key, value as number))].join(', ');
  const first =
    r.targetEpsilon === undefined
      ? `epsilon ${epsilonUp(epsilon, 6)} at delta ${deltaText(r.delta)} (${how})`
      : `noise multiplier ${r.noise} spends epsilon ${epsilonUp(epsilon, 6)} (target ${r.targetEpsilon}) at delta ${deltaText(r.delta)} (${how})`;
  const s = r.schedule;
  const rate = s.batchSize === undefined ? `sample rate ${s.sampleRate}` : `sample rate 1/${Math.round(1 / s.sampleRate)} (batch size ${s.batchSize} of ${s.trainSize})`;
  const steps = `${s.steps} steps${s.epochs === undefined ? '' : ` (${s.epochs} epochs)`}`;
  const second = `${r.targetEpsilon === undefined ? `noise multiplier ${r.noise}, ` : ''}${rate}, ${steps}`;
  if (r.rdp === undefined) return `${first}\n${second}`;
  const values = r.rdp.orders.map((order, k) => `${order}: ${r.rdp!.values[k].toExponential(8)}`);
  return `${first}\n${second}\nRDP at each order: ${values.join(', ')}`;
}
