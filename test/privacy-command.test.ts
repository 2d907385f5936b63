import { describe, expect, it } from 'vitest';
import { expectRefused, runCli, runCliAsync } from './helpers/cli.js';

const MECHANISM = ['--sample-rate', '0.04', '--steps', '2250', '--delta', '1e-5'];

function privacy(args: string[]) {
  const r = runCli(['privacy', ...args]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return r.stdout;
}

const privacyJson = (args: string[]) => {
  const lines = privacy([...args, '--json']).trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
};

describe('shardtrain privacy --noise: the epsilon spent', () => {
  it('q=0.04 sigma=1.5 steps=2250 delta=1e-5: two lines, epsilon 7.32912 at order 3.9 (7.329111 rounded up)', () => {
    expect(privacy(['--noise', '1.5', ...MECHANISM])).toBe(
      'epsilon 7.32912 at delta 1e-5 (rdp accountant, best order 3.9)\nnoise multiplier 1.5, sample rate 0.04, 2250 steps\n',
    );
  });

  it('prv: its lower bound and estimate in words, six digits, the lower bound rounded down', () => {
    expect(privacy(['--noise', '1', '--sample-rate', '0.01', '--epochs', '10', '--delta', '1e-5', '--accountant', 'prv']).split('\n')[0]).toMatch(
      /^epsilon \d\.\d{5} at delta 1e-5 \(prv accountant, lower bound \d\.\d{1,5}, estimate \d\.\d{1,5}\)$/,
    );
  });

  it('--json: one object with the mechanism, epsilon to full precision and the order', () => {
    const out = privacyJson(['--noise', '1.5', ...MECHANISM]);
    expect(out).toMatchObject({ accountant: 'rdp', delta: 1e-5, noise: 1.5, sampleRate: 0.04, steps: 2250, order: 3.9 });
    expect(Math.abs(out.epsilon - 7.32911117143) / 7.32911117143).toBeLessThan(1e-9);
    expect(Object.keys(out).sort()).toEqual(['accountant', 'delta', 'epsilon', 'noise', 'order', 'sampleRate', 'steps']);
  });

  it('--batch-size 250 --train-size 10000 --epochs 2: q = 1/40 and 80 steps', () => {
    const args = ['--noise', '1', '--batch-size', '250', '--train-size', '10000', '--epochs', '2', '--delta', '1e-5'];
    expect(privacyJson(args)).toMatchObject({ sampleRate: 0.025, steps: 80, batchSize: 250, trainSize: 10000, epochs: 2 });
    expect(privacy(args).split('\n')[1]).toBe('noise multiplier 1, sample rate 1/40 (batch size 250 of 10000), 80 steps (2 epochs)');
  });
});

describe('shardtrain privacy --orders: the RDP at each order', () => {
  const perOrder = ['--noise', '2.5', '--sample-rate', '0.01', '--steps', '50', '--delta', '1e-5', '--orders', '1.5,2.5,5,50,100'];

  it('PRV with a noise so large that its square overflows answers with the grid floor, as at 1e100 (it did not end)', () => {
    const mechanism = ['--sample-rate', '0.01', '--steps', '100', '--accountant', 'prv'];
    expect(privacy(['--noise', '1e307', ...mechanism])).toBe(privacy(['--noise', '1e100', ...mechanism]).replace('1e+100', '1e+307'));
  });

  it("without --delta: train --dp's 1e-5, said in the report", () => {
    const mechanism = ['--noise', '1', '--sample-rate', '0.04', '--steps', '10'];
    expect(privacy(mechanism)).toBe(privacy([...mechanism, '--delta', '1e-5']));
    expect(privacy(mechanism)).toMatch(/^epsilon [\d.]+ at delta 1e-5 /);
  });

  it("--accountant rdp-abs: dp_accounting's published vector, a third line in the text", () => {
    const lines = privacy([...perOrder, '--accountant', 'rdp-abs']).split('\n');
    expect(lines[0]).toBe('epsilon 0.158764 at delta 1e-5 (rdp-abs accountant, best order 50)');
    expect(lines[2]).toBe('RDP at each order: 1.5: 6.70579741e-4, 2.5: 1.08548710e-3, 5: 2.18075656e-3, 50: 2.38460375e-2, 100: 1.67416308e+2');
  });

  it("--json, rdp: the exact divergence at order 1.5 (TF Privacy's 0.00065), the orders minimised over", () => {
    const out = privacyJson(perOrder);
    expect(out.rdp.orders).toEqual([1.5, 2.5, 5, 50, 100]);
    expect(Math.abs(out.rdp.values[0] - 6.50070897e-4) / 6.50070897e-4).toBeLessThan(1e-8);
    expect(out.order).toBe(50);
    // Only orders 2 and 3 on offer: the best of them, not of the defaults.
    expect(privacyJson(['--noise', '1.5', ...MECHANISM, '--orders', '2,3'])).toMatchObject({ order: 3, rdp: { orders: [2, 3] } });
  });
});

describe('shardtrain privacy --target-epsilon: the noise multiplier', () => {
  it('epsilon 8, delta 1e-5, q=0.04, 90 epochs -> 1.416015625, spending at most 8', () => {
    const out = privacyJson(['--target-epsilon', '8', '--sample-rate', '0.04', '--epochs', '90', '--delta', '1e-5']);
    expect(out).toMatchObject({ noise: 1.416015625, targetEpsilon: 8, steps: 2250, epochs: 90 });
    expect(out.epsilon).toBeLessThanOrEqual(8);
    expect(out.epsilon).toBeGreaterThan(7.99);
  });

  it('text: the noise multiplier first', () => {
    const lines = privacy(['--target-epsilon', '8', '--sample-rate', '0.04', '--steps', '2000', '--delta', '1e-5']).split('\n');
    expect(lines[0]).toMatch(/^noise multiplier 1\.356201171875 spends epsilon 7\.99\d* \(target 8\) at delta 1e-5 \(rdp accountant, best order [\d.]+\)$/);
    expect(lines[1]).toBe('sample rate 0.04, 2000 steps');
  });
});

describe('shardtrain privacy refuses, in one line with exit code 2', () => {
  const refusals: [string, string[], RegExp][] = [
    ['--delta 1', ['--noise', '1', '--sample-rate', '0.04', '--steps', '10', '--delta', '1'], /--delta must be above 0 and below 1, got 1$/],
    ['--noise 0', ['--noise', '0', ...MECHANISM], /--noise must be a positive number \(the noise multiplier sigma\), got 0$/],
    ['--noise abc', ['--noise', 'abc', ...MECHANISM], /^shardtrain: --noise abc: not a decimal number$/],
    // The rate is what is wrong, not the steps it would make.
    ['--sample-rate 0 with --epochs', ['--noise', '1', '--sample-rate', '0', '--epochs', '1'], /^shardtrain: --sample-rate must be above 0 and at most 1, got 0$/],
    // The user gave a target, not a noise: the search's grid limit names the target.
    [
      'a PRV target whose noises the grid cannot resolve',
      ['--target-epsilon', '5', '--sample-rate', '0.5', '--steps', '1000000000', '--accountant', 'prv'],
      /^shardtrain: --target-epsilon 5 over 1000000000 steps at sample rate 0\.5 needs noises whose epsilon the PRV accountant's grid cannot resolve \(noise \d+ spends about [\d.]+ by RDP\); take --accountant rdp$/,
    ],
    [
      'an unreachable --target-epsilon',
      ['--target-epsilon', '0.05', ...MECHANISM],
      /--target-epsilon 0\.05 at --delta 0\.00001 .*cannot be reached: even --noise 1310720 spends epsilon 0\.10\d\d, about the smallest reachable$/,
    ],
    ['--sample-rate 0', ['--noise', '1', '--sample-rate', '0', '--steps', '10', '--delta', '1e-5'], /--sample-rate must be above 0 and at most 1, got 0$/],
    ['--sample-rate 1.5 with --epochs', ['--noise', '1', '--sample-rate', '1.5', '--epochs', '1', '--delta', '1e-5'], /--sample-rate must be above 0 and at most 1/],
    ['both --noise and --target-epsilon', ['--noise', '1', '--target-epsilon', '1', ...MECHANISM], /give either --noise .* or --target-epsilon/],
    ['neither --steps nor --epochs', ['--noise', '1', '--sample-rate', '0.04', '--delta', '1e-5'], /give either --steps or --epochs/],
    ['--batch-size without --train-size', ['--noise', '1', '--batch-size', '10', '--steps', '5', '--delta', '1e-5'], /--batch-size needs --train-size too/],
    ['--sample-rate with --batch-size', ['--noise', '1', '--sample-rate', '0.1', '--batch-size', '10', '--train-size', '100', '--steps', '5', '--delta', '1e-5'], /not both/],
    ['--accountant other', ['--noise', '1', ...MECHANISM, '--accountant', 'other'], /accountant/],
    ['--orders with prv', ['--noise', '1', ...MECHANISM, '--accountant', 'prv', '--orders', '2'], /--orders needs a Renyi accountant \(--accountant rdp or rdp-abs\), not prv$/],
    ['--orders 1,2', ['--noise', '1', ...MECHANISM, '--orders', '1,2'], /--orders must be a comma-separated list of Renyi orders above 1 and up to 10000, like 1\.5,2,8,32, got '1,2'$/],
    // The series of an integer order has order + 1 terms: 1e9 took longer than anyone waits.
    ['--orders 1e9', ['--noise', '1', ...MECHANISM, '--orders', '2,1e9'], /--orders must be .* up to 10000, .* got '2,1e9'$/],
    // The steps come from --epochs: the message names it, not a --steps nobody gave.
    ['--epochs past the steps the accountants take', ['--noise', '1', '--sample-rate', '1e-9', '--epochs', '1000000', '--delta', '1e-5'], /^shardtrain: --epochs 1000000 at --sample-rate 1e-9 makes 1000000000000000 steps, more than the 1000000000000 the accountants take$/],
    ['--orders 2,2', ['--noise', '1', ...MECHANISM, '--orders', '2,2'], /^shardtrain: --orders lists the order 2 twice$/],
    // Its RDP overflows at every order: it printed 'epsilon Infinity ... best order NaN', exit 0.
    ['a noise so small that no order gives a finite epsilon', ['--noise', '1e-300', '--sample-rate', '0.5', '--steps', '1', '--delta', '1e-5'], /^shardtrain: --noise 1e-300 over 1 step at sample rate 0\.5 spends no finite epsilon by the rdp accountant at any order: raise --noise$/],
    ['--steps 1.5', ['--noise', '1', '--sample-rate', '0.04', '--steps', '1.5', '--delta', '1e-5'], /--steps must be a whole number/],
  ];
  for (const [name, args, message] of refusals) {
    it.concurrent(name, async () => expectRefused(await runCliAsync(['privacy', ...args]), message));
  }
});
