// A layer stack's weights file says what its network is in 'architecture', a numpy str. What a
// file written by numpy can get wrong there is refused in one line naming the file.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSavedNetwork } from '../src/io/saved-network.js';
import { UserError } from '../src/util/errors.js';
import { expectRefused, runCli, temporaryDirectories } from './helpers/cli.js';
import { numpyImportable, PYTHON } from './helpers/python.js';

const fresh = temporaryDirectories('architecture-');
const FLAT = [{ type: 'flatten' }, { type: 'dense', out: 10 }];

/** flatten -> dense10 weights for `pixels` inputs, with `architecture` as numpy stores a str; `lastCode` replaces its last code point. */
function writeWeights(path: string, architecture: object, pixels: number, lastCode?: number): void {
  const code = [
    'import sys, numpy as np',
    'a = np.array(sys.argv[2] + " ")',
    'if sys.argv[4] != "": a.reshape(1).view(np.uint32)[-1] = int(sys.argv[4])',
    "np.savez(sys.argv[1], architecture=a, **{'1.weight': np.zeros((10, int(sys.argv[3])), np.float32), '1.bias': np.zeros(10, np.float32)})",
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code, path, JSON.stringify(architecture), String(pixels), lastCode === undefined ? '' : String(lastCode)], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

async function refusal(path: string): Promise<string> {
  const error = await readSavedNetwork(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return (error as UserError).message;
}

describe.runIf(numpyImportable)("a layer stack's architecture in a weights file", () => {
  it('a code point past Unicode is named, not an internal error', async () => {
    const path = join(fresh(), 'code.npz');
    writeWeights(path, { input: [1, 28, 28], classes: 10, layers: FLAT }, 784, 0x110000);
    expect(await refusal(path)).toBe(`${path}: key 'architecture': not valid text (code point 0x110000)`);
  });
  it('must give the input shape and the class count, which only the file can tell', async () => {
    const path = join(fresh(), 'open.npz');
    writeWeights(path, { layers: FLAT }, 784);
    expect(await refusal(path)).toBe(`${path}: 'architecture': the architecture must give "input" and "classes": a weights file alone says what images its network reads`);
  });
  it('"classes" that disagree with the last layer are the file\'s fault, not the data\'s', async () => {
    const path = join(fresh(), 'classes.npz');
    writeWeights(path, { input: [1, 28, 28], classes: 5, layers: FLAT }, 784);
    expect(await refusal(path)).toBe(`${path}: 'architecture': "classes" is 5, but the last layer has 10 outputs`);
  });
  it('train --init with weights for other images names --init and the file', () => {
    const path = join(fresh(), 'small.npz');
    writeWeights(path, { input: [1, 20, 20], classes: 10, layers: FLAT }, 400);
    expectRefused(
      runCli(['train', '--init', path, '--train-count', '100', '--test-count', '50']),
      /^shardtrain: --init .*small\.npz: the description is for \(1,20,20\) images, but the data's are \(1,28,28\)$/,
    );
  });
});
