// A checkpoint's data identity records the images' channels; one written before images had
// channels has none, and its images were gray.
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/load-data.js';
import { dataDifference, dataIdentity, type DataIdentity } from '../src/train/data-identity.js';

const fixture = (name: string) => new URL(`./fixtures/channels/${name}`, import.meta.url).pathname;

describe('dataIdentity with channels', () => {
  it('records them, and names a difference in CxHxW', async () => {
    const rgb = dataIdentity(await loadDataset({ path: fixture('rgb_u1_nhwc.npz') }));
    const gray = dataIdentity(await loadDataset({ path: fixture('gray_nhw.npz') }));
    expect([rgb.channels, gray.channels]).toEqual([3, 1]);
    expect(dataDifference(rgb, gray)).toBe("the checkpoint's images are 3x5x6, these are 1x5x6");
    expect(dataDifference(rgb, rgb)).toBeNull();
  });

  it('an identity without channels (an older checkpoint) is gray', async () => {
    const gray = dataIdentity(await loadDataset({ path: fixture('gray_nhw.npz') }));
    const { channels: _, ...older } = gray;
    expect(dataDifference(older as DataIdentity, gray)).toBeNull();
    const rgb = dataIdentity(await loadDataset({ path: fixture('rgb_u1_nhwc.npz') }));
    expect(dataDifference(older as DataIdentity, rgb)).toBe("the checkpoint's images are 1x5x6, these are 3x5x6");
  });
});
