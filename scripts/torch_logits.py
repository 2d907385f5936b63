#!/usr/bin/python3
"""Logits of shardtrain's saved layer stack, computed by PyTorch itself.

Builds the torch.nn.Sequential that the .npz's `architecture` JSON describes, loads the file's
tensors with load_state_dict(strict=True) (so every name and shape must be PyTorch's), and runs
the images through it in float64. Writes the logits as a (N, classes) float64 .npy.

    python3 scripts/torch_logits.py WEIGHTS.npz IMAGES.npy LOGITS.npy
IMAGES.npy holds (N, C, H, W) values exactly as the network sees them (already divided).
"""
import json
import sys

import numpy as np
import torch
from torch import nn


def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def build(spec):
    channels, height, width = spec["input"]
    features = None  # the width of a flat activation, after flatten
    layers = []
    for layer in spec["layers"]:
        kind = layer["type"]
        if kind == "conv":
            (kh, kw), (sh, sw), (ph, pw) = pair(layer["kernel"]), pair(layer.get("stride", 1)), pair(layer.get("padding", 0))
            layers.append(nn.Conv2d(channels, layer["out"], (kh, kw), (sh, sw), (ph, pw)))
            channels, height, width = layer["out"], (height + 2 * ph - kh) // sh + 1, (width + 2 * pw - kw) // sw + 1
        elif kind == "maxpool":
            (kh, kw) = pair(layer["kernel"])
            (sh, sw) = pair(layer.get("stride", layer["kernel"]))
            layers.append(nn.MaxPool2d((kh, kw), (sh, sw)))
            height, width = (height - kh) // sh + 1, (width - kw) // sw + 1
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "tanh":
            layers.append(nn.Tanh())
        elif kind == "flatten":
            layers.append(nn.Flatten())
            features = channels * height * width
        elif kind == "dense":
            layers.append(nn.Linear(features, layer["out"]))
            features = layer["out"]
        else:
            raise SystemExit(f"unknown layer type {kind!r}")
    return nn.Sequential(*layers).double()


def main():
    weights_path, images_path, out_path = sys.argv[1:4]
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
