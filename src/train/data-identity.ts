import { createHash } from 'node:crypto';
import { type Dataset, type ImageSet, imageShapeText } from '../data/dataset.js';

/** What a resumed run must agree on about its data, down to the bytes. */
export interface DataIdentity {
  readonly source: string;
  readonly trainCount: number;
  readonly testCount: number;
  /** Absent in checkpoints written before images had channels, which were all gray (1). */
  readonly channels?: number;
  readonly height: number;
  readonly width: number;
  readonly classes: number;
  readonly divisor: number;
  /** SHA-256 of both splits' pixels and labels (about 35 ms for Fashion-MNIST). */
  readonly sha256: string;
}

export function dataIdentity(d: Dataset): DataIdentity {
  const hash = createHash('sha256');
  const add = (set: ImageSet) => {
    hash.update(set.pixels);
    hash.update(set.labels);
  };
  add(d.train);
  add(d.test);
  return {
    source: d.source,
    trainCount: d.train.count,
    testCount: d.test.count,
    channels: d.train.channels,
    height: d.train.height,
    width: d.train.width,
    classes: d.classes,
    divisor: d.train.divisor,
    sha256: hash.digest('hex'),
  };
}

/** The first difference between two identities, in words, or null when they agree. */
export function dataDifference(saved: DataIdentity, now: DataIdentity): string | null {
  if (saved.trainCount !== now.trainCount || saved.testCount !== now.testCount) {
    return `the checkpoint was trained on ${saved.trainCount} train / ${saved.testCount} test images, this data has ${now.trainCount} / ${now.testCount}`;
  }
  const [was, is] = [saved.channels ?? 1, now.channels ?? 1];
  if (was !== is || saved.height !== now.height || saved.width !== now.width) {
    const size = (c: number, d: DataIdentity) => (was === is ? imageShapeText({ channels: c, height: d.height, width: d.width }) : `${c}x${d.height}x${d.width}`);
    return `the checkpoint's images are ${size(was, saved)}, these are ${size(is, now)}`;
  }
  if (saved.classes !== now.classes) return `the checkpoint has ${saved.classes} classes, this data ${now.classes}`;
  if (saved.divisor !== now.divisor) return `the checkpoint divided pixels by ${saved.divisor}, this data by ${now.divisor}`;
  if (saved.sha256 !== now.sha256) return `the images or labels differ from the ones the checkpoint was trained on (${saved.source})`;
  return null;
}
