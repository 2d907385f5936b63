"""torch.nn.Sequential from shardtrain's JSON description of a layer stack (docs/models.md).

Each layer means what its torch.nn counterpart means, so the module computes the same function
as shardtrain's network of the same description, with the same parameter names and layouts.
"""
from torch import nn


def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def build(spec):
    channels, height, width = spec["input"]
    features = None  # the width of a flat activation, after flatten
    layers = []
    last_dense = max((k for k, layer in enumerate(spec["layers"]) if layer["type"] == "dense"), default=None)
    for k, layer in enumerate(spec["layers"]):
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
            # The last dense layer may leave its width to the classes (docs/models.md).
            out = layer["out"] if "out" in layer or k != last_dense else spec["classes"]
            layers.append(nn.Linear(features, out))
            features = out
        else:
            raise SystemExit(f"unknown layer type {kind!r}")
    return nn.Sequential(*layers).double()
