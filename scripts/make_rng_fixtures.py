#!/usr/bin/env python3
"""Write test/fixtures/numpy-rng.json: numpy's legacy RandomState outputs, the oracle for src/rng.

Run from the repository root:  python3 scripts/make_rng_fixtures.py
json writes floats with repr(), the shortest string that round-trips a double
exactly, and JSON.parse rounds correctly, so the TypeScript tests can demand
bit equality where the algorithm allows it.
"""
import hashlib
import json
import math
import os
import sys

import numpy as np

SEEDS = [0, 1, 42, 4294967295, 1000 * 3 + 2]
RANDN_COUNT = 2000
RAW_COUNT = 1000
SAMPLE_COUNT = 500
# 70000 crosses the 2^16 mask boundary (i from 69999 down through 65535);
# 8004 is small enough to store whole.
PERM_SIZES = [1, 2, 10, 8004, 70000]
PERM_FULL_MAX = 10000
PERM_EDGE = 100
# The seed model's parameter shapes, drawn in this order from one generator.
SEED_MODEL_SHAPES = [(16, 8, 8), (8, 16, 4, 4), (10, 8, 9, 9)]


def perm_digest(perm):
    # SHA-256 over little-endian int32 lets Node check a long permutation
    # without storing it; int32 because the TypeScript side returns Int32Array.
    return hashlib.sha256(np.asarray(perm, dtype='<i4').tobytes()).hexdigest()


def raw_uint32(seed, count):
    rs = np.random.RandomState(seed)
    raw = rs.randint(0, 2**32, size=count, dtype=np.uint32)
    # randint over the full 32-bit range is only a view of the raw stream if
    # numpy takes exactly one MT19937 draw per value; check that against the
    # documented random_sample construction instead of trusting it.
    doubles = np.random.RandomState(seed).random_sample(count // 2)
    for i, d in enumerate(doubles):
        a, b = int(raw[2 * i]), int(raw[2 * i + 1])
        if ((a >> 5) * 67108864 + (b >> 6)) / 9007199254740992 != float(d):
            sys.exit('randint(0, 2**32, uint32) is not one raw draw per value on this numpy')
    return [int(v) for v in raw]


def main():
    out = {
        'numpy_version': np.__version__,
        'generator': 'np.random.RandomState (legacy MT19937)',
        'seeds': [],
    }
    for seed in SEEDS:
        entry = {'seed': seed}
        entry['uint32'] = raw_uint32(seed, RAW_COUNT)
        entry['random_sample'] = [float(v) for v in np.random.RandomState(seed).random_sample(SAMPLE_COUNT)]
        np.random.seed(seed)
        entry['randn'] = [float(v) for v in np.random.randn(RANDN_COUNT)]
        perms = []
        for n in PERM_SIZES:
            np.random.seed(seed)
            p = np.random.permutation(n)
            rec = {'n': n, 'sha256_int32le': perm_digest(p), 'head': [int(v) for v in p[:PERM_EDGE]],
                   'tail': [int(v) for v in p[-PERM_EDGE:]]}
            if n <= PERM_FULL_MAX:
                rec['full'] = [int(v) for v in p]
            perms.append(rec)
        entry['permutation'] = perms
        out['seeds'].append(entry)

    np.random.seed(0)
    flat = np.concatenate([np.random.randn(*shape).ravel(order='C') for shape in SEED_MODEL_SHAPES])
    out['seed_model_init'] = {
        'seed': 0,
        'shapes': [list(s) for s in SEED_MODEL_SHAPES],
        'values': [float(v) for v in flat],
    }

    # Inputs to the one libm call in legacy_gauss: lets the test say how many
    # of its log() results V8 reproduces bit for bit.  math.log is C log().
    np.random.seed(42)
    r2 = np.random.random_sample(2000) * 0.999 + 1e-12
    out['log_probe'] = {
        'inputs': [float(v) for v in r2],
        'log': [math.log(float(v)) for v in r2],
    }

    path = os.path.join('test', 'fixtures', 'numpy-rng.json')
    with open(path, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {path} ({os.path.getsize(path)} bytes)')


if __name__ == '__main__':
    main()
