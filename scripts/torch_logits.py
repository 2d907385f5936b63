#!/usr/bin/python3
"""Logits of shardtrain's saved layer stack, computed by PyTorch itself.

Builds the torch.nn.Sequential that the .npz's `architecture` JSON describes, loads the file's
tensors with load_state_dict(strict=True) (so every name and shape must be PyTorch's), and runs
the images through it in float64. Writes the logits as a (N, classes) float64 .npy.

    python3 scripts/torch_logits.py WEIGHTS.npz IMAGES.npy LOGITS.npy [WEIGHTS IMAGES LOGITS ...]
IMAGES.npy holds (N, C, H, W) values exactly as the network sees them (already divided). Several
triples share one start of Python and torch, which takes longer than the logits.
"""
import json
import sys

import numpy as np
import torch

from torch_sequential import build


def main():
    args = sys.argv[1:]
    if not args or len(args) % 3 != 0:
        raise SystemExit(__doc__)
    for i in range(0, len(args), 3):
        logits(*args[i:i + 3])


def logits(weights_path, images_path, out_path):
    archive = np.load(weights_path)
    spec = json.loads(str(archive["architecture"]))
    model = build(spec)
    state = {k: torch.from_numpy(archive[k].astype(np.float64)) for k in archive.files if k != "architecture"}
    model.load_state_dict(state, strict=True)
    images = torch.from_numpy(np.load(images_path).astype(np.float64))
    with torch.no_grad():
        np.save(out_path, model(images).numpy())


if __name__ == "__main__":
    main()
