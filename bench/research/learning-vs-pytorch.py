#!/usr/bin/python3
"""Does shardtrain learn as PyTorch does? (issue #16, point 9)

For each model and seed: train with shardtrain (--rng numpy), then train the same
torch.nn.Sequential in PyTorch from the same initial weights with the same batches and the
seed's Adam, and print test accuracy per epoch side by side. Run from the repository root,
after `npm run build`, with Debian's python (the one that has torch):

    /usr/bin/python3 bench/research/learning-vs-pytorch.py --models opacus-mnist,opacus-mnist-tanh \
        --seeds 0,1,2 --epochs 5
    /usr/bin/python3 bench/research/learning-vs-pytorch.py --check   # the same-start check

--check trains 10 steps (1,000 images, 1 epoch) on both sides and compares the mean training
loss and the weights after them: equality to float32 rounding shows that both really start from
the same weights and see the same batches, so later differences are rounding growing in training.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from torch_sequential import build  # noqa: E402

CLI = ["node", "dist/src/cli/main.js", "train"]
BATCH = 100
LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-7  # src/optim/adam.ts SEED_ADAM


def idx(path):
    """An IDX file (gzip) as a numpy array of its declared shape."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, train_count, test_count):
    def split(prefix, count):
        x = idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))[:count]
        y = idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))[:count]
        # float32 pixels/255 as shardtrain's wasm kernels stage them (byte / divisor)
        return torch.from_numpy((x.astype(np.float32) / np.float32(255))[:, None]), torch.from_numpy(y.astype(np.int64))
    return split("train", train_count), split("t10k", test_count)


def shardtrain(args, model, seed, epochs, extra):
    """Runs the CLI; returns its per-epoch JSON objects (the first line is the model summary)."""
    cmd = CLI + ["--model", model, "--data", args.data, "--rng", "numpy", "--seed", str(seed),
                 "--epochs", str(epochs), "--threads", str(args.threads), "--json"] + extra
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        # shardtrain's own one-line refusal says what is wrong with the model or data given.
        sys.stderr.write(run.stderr)
        sys.exit(run.returncode)
    lines = [json.loads(l) for l in run.stdout.splitlines() if l.strip()]
    assert "model" in lines[0], lines[0]
    return lines[1:]


def initial_weights(args, model, seed, tmp):
    """shardtrain's initial weights: one epoch at lr 1e-300 changes no float32 weight, so the
    saved file is the initialisation itself, exactly (no re-implementation of init to trust)."""
    path = os.path.join(tmp, f"{model}-{seed}-w0.npz")
    shardtrain(args, model, seed, 1, ["--lr", "1e-300", "--train-count", "100", "--test-count", "100", "--save", path])
    return np.load(path)


def replayed_init(archive, seed):
    """The init as docs/models.md describes it (np.random.seed(S), randn per weight in layer
    order times He/Glorot std), to show the file is what the description says; float32 rounding."""
    spec = json.loads(str(archive["architecture"]))
    layers = spec["layers"]
    np.random.seed(seed)
    worst = 0.0
    for i, layer in enumerate(layers):
        if layer["type"] not in ("conv", "dense"):
            continue
        w = archive[f"{i}.weight"]
        fan_in = int(np.prod(w.shape[1:]))
        fan_out = w.shape[0] * int(np.prod(w.shape[2:]))
        nxt = next((l["type"] for l in layers[i + 1:] if l["type"] not in ("maxpool", "flatten")), None)
        std = np.sqrt(2 / fan_in) if nxt == "relu" else np.sqrt(2 / (fan_in + fan_out))
        expected = (np.random.randn(*w.shape) * std).astype(w.dtype)
        worst = max(worst, float(np.max(np.abs(expected - w))))
    return worst


def pytorch(archive, seed, epochs, train, test, on_epoch):
    """Trains the nn.Sequential from the archive's weights in float32 with shardtrain's batches."""
    spec = json.loads(str(archive["architecture"]))
    net = build(spec).float()
    net.load_state_dict({k: torch.from_numpy(archive[k].astype(np.float32)) for k in archive.files if k != "architecture"}, strict=True)
    params = list(net.parameters())
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    (x, y), (tx, ty) = train, test
    n, t = len(y), 0
    for e in range(epochs):
        # src/rng/streams.ts NumpyStreams: reseed 1000*S + e, then a permutation of the training set
        np.random.seed(1000 * seed + e)
        order = torch.from_numpy(np.random.permutation(n))
        loss_sum = 0.0
        for start in range(0, n, BATCH):  # the final partial batch is trained (no --drop-last)
            idx_b = order[start:start + BATCH]
            loss = F.cross_entropy(net(x[idx_b]), y[idx_b])  # mean over the batch, as shardtrain averages
            net.zero_grad()
            loss.backward()
            loss_sum += loss.item() * len(idx_b)
            t += 1
            # The seed's Adam by hand: torch.optim.Adam adds eps to sqrt(v_hat), not to sqrt(v)
            lr_t = LR * np.sqrt(1 - BETA2 ** t) / (1 - BETA1 ** t)
            with torch.no_grad():
                for p, mi, vi in zip(params, m, v):
                    mi.mul_(BETA1).add_(p.grad, alpha=1 - BETA1)
                    vi.mul_(BETA2).addcmul_(p.grad, p.grad, value=1 - BETA2)
                    p.sub_(lr_t * mi / (vi.sqrt() + EPS))
        with torch.no_grad():
            correct = sum(int((net(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum()) for i in range(0, len(ty), 1000))
        on_epoch(e + 1, loss_sum / n, correct, len(ty))
    return net


def check(args, tmp):
    """10 steps on 1,000 images, both sides: mean training loss and weights afterwards."""
    model, seed = args.models.split(",")[0], int(args.seeds.split(",")[0])
    w0 = initial_weights(args, model, seed, tmp)
    print(f"init: max |file - replayed numpy init| = {replayed_init(w0, seed):.3g}")
    saved = os.path.join(tmp, "w10.npz")
    ours = shardtrain(args, model, seed, 1, ["--train-count", "1000", "--test-count", "1000", "--save", saved])[0]
    train, test = load(args.data, 1000, 1000)
    got = {}
    net = pytorch(w0, seed, 1, train, test, lambda e, l, c, n: got.update(loss=l, correct=c))
    w10 = np.load(saved)
    state = net.state_dict()
    diff = max(float(np.max(np.abs(state[k].numpy() - w10[k]))) for k in state)
    moved = max(float(np.max(np.abs(w10[k] - w0[k]))) for k in state)
    print(f"{model} seed {seed}, 10 steps: mean train loss shardtrain {ours['trainLoss']:.7f}, "
          f"PyTorch {got['loss']:.7f} (diff {abs(ours['trainLoss'] - got['loss']):.2g}); "
          f"test correct {ours['testCorrect']} vs {got['correct']} of 1000; "
          f"max |weight diff| {diff:.3g} while weights moved up to {moved:.3g}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="opacus-mnist,opacus-mnist-tanh")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=2, help="shardtrain's workers and torch's threads")
    ap.add_argument("--check", action="store_true", help="only the 10-step same-start check")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        if args.check:
            return check(args, tmp)
        train, test = load(args.data, None, None)
        for model in args.models.split(","):
            for seed in map(int, args.seeds.split(",")):
                w0 = initial_weights(args, model, seed, tmp)  # before the run: one training at a time
                began = time.time()
                ours = shardtrain(args, model, seed, args.epochs, [])
                st_s = time.time() - began
                began = time.time()
                rows = []
                pytorch(w0, seed, args.epochs, train, test, lambda e, l, c, n: rows.append((l, c / n)))
                pt_s = time.time() - began
                print(f"\n{model} seed {seed} (shardtrain {st_s:.0f} s, PyTorch {pt_s:.0f} s)")
                print("| epoch | shardtrain acc | PyTorch acc | shardtrain train loss | PyTorch train loss |")
                print("| ---: | ---: | ---: | ---: | ---: |")
                for r, (l, acc) in zip(ours, rows):
                    print(f"| {r['epoch']} | {100 * r['testAccuracy']:.2f}% | {100 * acc:.2f}% | {r['trainLoss']:.4f} | {l:.4f} |")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
