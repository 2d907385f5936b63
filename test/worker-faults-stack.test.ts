// Worker faults during a layer stack's training: the retry on fresh workers gives bitwise the
// weights of a run without fault, as test/worker-faults.test.ts checks for the seed network (whose
// tests of a second failure, the watchdog and non-finite values hold for any network).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAULT_ENV } from '../src/parallel/fault-injection.js';
import { type CliResult, howItEnded, runCli, temporaryDirectories } from './helpers/cli.js';
import { weightBytes } from './helpers/weights.js';

// opacus-mnist, 120 samples in batches of 30: 4 steps per epoch, 8 in all; faults hit step 3.
const run = ['train', '--model', 'opacus-mnist', '--train-count', '120', '--test-count', '20', '--batch-size', '30', '--epochs', '2', '--threads', '2', '--timeout', '120'];
const fresh = temporaryDirectories('fault-stack');

let clean: string;
let cleanRun: CliResult;
beforeAll(() => {
  clean = join(fresh(), 'w.npz');
  cleanRun = runCli([...run, '--save', clean]);
});

describe('opacus-mnist: a worker fault in the middle of a step is retried once on fresh workers', () => {
  // The throw hits position 20 of 30: the main thread has summed part of the batch, which the retry must sum again.
  for (const fault of ['throw@3.20', 'exit@3']) {
    it(`${fault}, once: the weights are bitwise those of a run without fault`, async () => {
      expect(cleanRun.status, howItEnded(cleanRun)).toBe(0);
      const saved = join(fresh(), 'w.npz');
      const r = runCli([...run, '--save', saved], { env: { [FAULT_ENV]: fault } });
      expect(r.status, howItEnded(r)).toBe(0);
      expect((await weightBytes(saved)).equals(await weightBytes(clean))).toBe(true);
    });
  }
});
