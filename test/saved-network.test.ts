// readSavedNetwork, the one reader of eval and predict: the seed's six arrays or a layer stack's
// nn.Sequential tensors with their architecture, and what each says of the images it takes.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openNpz } from '../src/data/npz.js';
import { NpyText, type NpzWriteArray, writeNpz } from '../src/data/npz-write.js';
import { readSavedNetwork } from '../src/io/saved-network.js';
import { saveWeights } from '../src/io/weights-file.js';
import { completeSpec, parseDescription } from '../src/model/stack/index.js';
import { messageForUser } from '../src/cli/setting-flags.js';
import { SettingError, UserError } from '../src/util/errors.js';
import { temporaryDirectories } from './helpers/cli.js';
import { randomStack } from './helpers/random-stack.js';

const GOLDEN = new URL('../../shared/golden/seed_fixed_epoch1_weights.npz', import.meta.url).pathname;
const fresh = temporaryDirectories('saved-network');

// Channels, a non-square image and kernel, padding: x=[3,7,8] conv3x3x2 p1, 4 classes.
const STACK = 'conv3k3x2p1,tanh,maxpool2,flatten,dense';
const spec = completeSpec(parseDescription(STACK), { input: [3, 7, 8], classes: 4 });
const { params, net } = randomStack(STACK, [3, 7, 8], 4, 'float64', 5);

let dir: string;
let stackFile: string;
beforeAll(async () => {
  dir = fresh();
  stackFile = join(dir, 'stack.npz');
  await saveWeights(stackFile, params, net.layout, { kind: 'stack', spec });
});

async function refused(promise: Promise<unknown>): Promise<UserError> {
  const e = await promise.then(() => undefined, (error: unknown) => error);
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

describe('readSavedNetwork', () => {
  it("the seed's weights: a gray network, sized by the images when the file does not say", async () => {
    const w = await readSavedNetwork(GOLDEN);
    expect(w).toMatchObject({ channels: 1, classes: 10, imageSize: undefined, source: 'shapes', dtype: 'float64' });
    expect(w.seed).not.toBeNull();
    expect(w.modelFor(28, 28)).toMatchObject({ kind: 'seed', config: { imageHeight: 28, imageWidth: 28, classes: 10 } });
  });

  it(`${STACK} x=[3,7,8] as saved: its architecture's channels, size and classes, the parameters bit for bit`, async () => {
    const w = await readSavedNetwork(stackFile);
    expect(w).toMatchObject({ channels: 3, classes: 4, imageSize: [7, 8], source: 'architecture', dtype: 'float64', storedDtype: 'float64', seed: null });
    expect(w.params).toEqual(params);
    expect(w.modelFor(7, 8)).toEqual({ kind: 'stack', spec });
    expect(() => w.modelFor(8, 7, 'the test images')).toThrow(new UserError(`${stackFile}: the network takes 3x7x8 images (its 'architecture') but the test images are 8x7`));
    expect((await readSavedNetwork(stackFile, { dtype: 'float32' })).params).toEqual(Float32Array.from(params));
  });

  it('float32 and float64 tensors in one file: stored "mixed", computed in float64 unless told', async () => {
    const archive = await openNpz(stackFile);
    const arrays: Record<string, NpzWriteArray> = { architecture: { data: new NpyText(await archive.readText('architecture')), shape: [] } };
    for (const key of archive.keys.filter((k) => k !== 'architecture')) {
      const a = await archive.read(key);
      arrays[key] = { data: key === '0.weight' ? Float32Array.from(a.data as Float64Array) : (a.data as Float64Array), shape: a.shape };
    }
    const mixed = join(dir, 'mixed.npz');
    await writeNpz(mixed, arrays);
    expect(await readSavedNetwork(mixed)).toMatchObject({ storedDtype: 'mixed', dtype: 'float64' });
  });

  it("a stride for the seed network's convolutions is refused, in the CLI's words naming its flag", async () => {
    const e = await refused(readSavedNetwork(stackFile, { stride2: 1 }));
    expect(e).toBeInstanceOf(SettingError);
    expect(messageForUser(e)).toBe(`${stackFile}: --stride2 sizes the seed network, and the file holds a layer stack whose architecture gives its strides; leave --stride2 out`);
  });
});
