"""The file writers behind scripts/make_data_fixtures.py: .npy bytes, zips with fixed timestamps,
numpy's own .npz, the JSON of what the arrays hold, and MNIST's IDX files, all into
test/fixtures/data/. dataset() also writes scripts/make_channel_fixtures.py's datasets, into its
own folder."""
import gzip
import io
import json
import os
import struct
import zipfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'data')
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# The two key sets loadDataset knows: the seed's, and Keras's.
SEED_KEYS = ('trainimages', 'trainlabels', 'testimages', 'testlabels')
KERAS_KEYS = ('x_train', 'y_train', 'x_test', 'y_test')


def path(name):
    return os.path.join(OUT, name)


def npy_bytes(array, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()


def write_zip(name, members, compress=False):
    """members: {member name: bytes}. Written with zipfile so bytes can be crafted by hand."""
    with zipfile.ZipFile(path(name), 'w', zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            z.writestr(info, data)


def savez(name, compress=False, **arrays):
    """np.savez / np.savez_compressed; numpy stamps members 1980-01-01, so the bytes are stable."""
    (np.savez_compressed if compress else np.savez)(path(name), **arrays)


def dataset(name, arrays, keys=SEED_KEYS, compress=False, out=OUT):
    """arrays: train images, train labels, test images, test labels, saved under keys in that order."""
    (np.savez_compressed if compress else np.savez)(os.path.join(out, name), **dict(zip(keys, arrays)))


def expected_json(name, arrays):
    """What numpy says the arrays hold; 64-bit integers as strings so JSON keeps them exact."""
    def encode(a):
        values = a.ravel(order='C').tolist()
        if a.dtype.kind in 'iu' and a.dtype.itemsize == 8:
            values = [str(v) for v in values]
        elif a.dtype.kind == 'b':
            values = [int(v) for v in values]
        elif a.dtype.kind == 'f':
            # JSON has no infinities: write those as the strings JavaScript's Number() reads back.
            values = [float(v) if np.isfinite(v) else {np.inf: 'Infinity', -np.inf: '-Infinity'}.get(v, 'NaN') for v in values]
        return {'dtype': a.dtype.str[1:], 'shape': list(a.shape), 'values': values}
    with open(path(name), 'w') as f:
        json.dump({k: encode(v) for k, v in arrays.items()}, f, indent=1)
        f.write('\n')


def write_idx(dirname, files, gz=False, names=None):
    """files: {role: (magic, array)}; names maps role to a file name (default: MNIST's)."""
    d = path(dirname)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    default = {'train_x': 'train-images-idx3-ubyte', 'train_y': 'train-labels-idx1-ubyte',
               'test_x': 't10k-images-idx3-ubyte', 'test_y': 't10k-labels-idx1-ubyte'}
    for role, content in files.items():
        name = (names or default)[role]
        data = content if isinstance(content, bytes) else idx_bytes(content)
        if gz:
            data = gzip.compress(data, mtime=0)
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


def idx_bytes(a):
    kind = {1: 0x0801, 3: 0x0803}[a.ndim]
    return struct.pack('>I', kind) + b''.join(struct.pack('>I', n) for n in a.shape) + a.astype('u1').tobytes()
