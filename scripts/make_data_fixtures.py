#!/usr/bin/env python3
"""Regenerates every data fixture in test/fixtures/data/ with real numpy, so the TypeScript
readers are tested against the format as numpy writes it, not as we believe it is written.

Run from anywhere: python3 scripts/make_data_fixtures.py. Output is deterministic (fixed values,
fixed zip timestamps) for a given Python and numpy: another Python's zipfile may write other
version fields in the zip headers, the arrays and their CRCs staying the same.
"""
import gzip
import io
import os
import struct

import numpy as np

from data_fixture_files import (KERAS_KEYS, OUT, dataset, expected_json, idx_bytes, npy_bytes, path, savez, write_idx,
                                write_zip)


def all_dtypes():
    base = np.array([[0, 1, 2], [3, 4, 5]])
    return {
        'u1': np.array([[0, 1, 127], [128, 254, 255]], dtype='u1'),
        'i1': np.array([[-128, -1, 0], [1, 2, 127]], dtype='i1'),
        'u2': np.array([[0, 1, 256], [1000, 40000, 65535]], dtype='u2'),
        'i2': np.array([[-32768, -300, 0], [1, 300, 32767]], dtype='i2'),
        'u4': np.array([[0, 1, 65536], [70000, 3000000000, 4294967295]], dtype='u4'),
        'i4': np.array([[-2147483648, -70000, 0], [1, 70000, 2147483647]], dtype='i4'),
        'u8': np.array([[0, 1, 2**40], [2**53 + 1, 2**63, 2**64 - 1]], dtype='u8'),
        'i8': np.array([[-2**63, -2**53 - 1, 0], [1, 2**53 + 1, 2**63 - 1]], dtype='i8'),
        'f2': np.array([[0, 0.5, -1.25], [65504, 6e-8, np.inf]], dtype='f2'),
        'f4': np.array([[0, 0.1, -2.5], [1e-30, 3.4e38, -0.0]], dtype='f4'),
        'f8': np.array([[0, 0.1, -2.5], [1e-300, 1.7e308, np.pi]], dtype='f8'),
        'b1': base % 2 == 1,
        'scalar': np.array(2.5, dtype='f8'),
        'empty': np.zeros((0, 3), dtype='f4'),
        'vector': np.arange(5, dtype='i4'),
    }


def npz_read_fixtures():
    arrays = all_dtypes()
    savez('dtypes.npz', **arrays)
    savez('dtypes_compressed.npz', compress=True, **arrays)
    expected_json('dtypes.json', arrays)

    big = {k: arrays[k].astype(arrays[k].dtype.newbyteorder('>')) for k in ['u2', 'i2', 'u4', 'i4', 'u8', 'i8', 'f2', 'f4', 'f8']}
    savez('bigendian.npz', **big)

    cube = np.arange(24, dtype='f4').reshape(2, 3, 4) * 0.5
    fortran = {
        'f4_3d': np.asfortranarray(cube),
        'i8_be_3d': np.asfortranarray(np.arange(24, dtype='>i8').reshape(2, 3, 4) - 12),
        'u1_2d': np.asfortranarray(np.arange(12, dtype='u1').reshape(3, 4)),
        'f8_4d': np.asfortranarray(np.arange(120, dtype='f8').reshape(2, 3, 4, 5)),
    }
    savez('fortran.npz', **fortran)
    expected_json('fortran.json', {k: np.ascontiguousarray(v) for k, v in fortran.items()})

    # numpy always pads the header to 64 bytes; a hand-written header of odd length puts float64
    # data at an offset 8 does not divide, which other writers do produce.
    data = np.array([1.5, -2.25, 1e100], dtype='<f8')
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n"
    write_zip('misaligned.npz', {'x.npy': b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header + data.tobytes()})
    # Python 2 numpy wrote shape dimensions as longs ('3L'); such files still exist.
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }       \n"
    write_zip('py2_header.npz', {'x.npy': b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header + data.tobytes()})
    # Format version 2.0 (4-byte header length), as numpy writes for huge headers.
    buf = io.BytesIO()
    np.lib.format.write_array(buf, data, version=(2, 0))
    write_zip('version2.npz', {'x.npy': buf.getvalue()})

    # Unsupported dtypes, each written by numpy itself.
    savez('object.npz', x=np.array([{'a': 1}, None], dtype=object))
    savez('unicode.npz', x=np.array(['abc', 'de']))
    savez('bytestrings.npz', x=np.array([b'abc', b'de']))
    savez('complex.npz', x=np.array([1 + 2j, 3j], dtype='c16'))
    savez('structured.npz', x=np.zeros(3, dtype=[('a', '<i4'), ('b', '<f8')]))
    savez('datetime.npz', x=np.array(['2020-01-01'], dtype='datetime64[D]'))

    # Broken .npy members inside intact zips (CRC right), so the npy checks are what fails.
    good = npy_bytes(np.arange(10, dtype='<f4'))
    write_zip('truncated_member.npz', {'x.npy': good[:-6]})
    write_zip('extra_bytes_member.npz', {'x.npy': good + b'\0' * 8})
    write_zip('bad_npy_magic.npz', {'x.npy': b'NOTNUMPY' + good[8:]})
    # numpy's own header for a (1e9, 28, 28) uint8 array (784 GB), followed by only 40 bytes: a
    # reader that trusts the header before counting the bytes tries to allocate the 784 GB.
    huge = io.BytesIO()
    np.lib.format.write_array_header_1_0(huge, {'descr': '|u1', 'fortran_order': False, 'shape': (10**9, 28, 28)})
    write_zip('announces_too_much.npz', {'x.npy': huge.getvalue() + bytes(range(40))})
    write_zip('mixed_members.npz', {'a.npy': npy_bytes(np.arange(3, dtype='<i4')), 'README.txt': b'not an array'})

    # Broken archives.
    with open(path('not_a_zip.npz'), 'wb') as f:
        f.write(b'this is a text file, not a zip archive\n')
    with open(path('single_array.npz'), 'wb') as f:
        f.write(npy_bytes(np.arange(3, dtype='<i4')))
    with open(path('gzip_not_zip.npz'), 'wb') as f:
        f.write(gzip.compress(npy_bytes(np.arange(3, dtype='<i4')), mtime=0))
    with open(path('empty.npz'), 'wb') as f:
        pass
    whole = open(path('dtypes.npz'), 'rb').read()
    with open(path('truncated.npz'), 'wb') as f:
        f.write(whole[: len(whole) // 2])
    # Flip one data byte of a stored member: the zip structure is intact, only the CRC disagrees.
    write_zip('crc_mismatch.npz', {'x.npy': good})
    blob = bytearray(open(path('crc_mismatch.npz'), 'rb').read())
    blob[blob.index(good[:16]) + len(good) - 3] ^= 0xFF
    with open(path('crc_mismatch.npz'), 'wb') as f:
        f.write(bytes(blob))
    # Damage inside a deflate stream: either inflate fails or the CRC does; both must be reported.
    savez('corrupt_deflate.npz', compress=True, x=np.arange(4000, dtype='<i4') % 251)
    blob = bytearray(open(path('corrupt_deflate.npz'), 'rb').read())
    for i in range(120, 140):
        blob[i] ^= 0x55
    with open(path('corrupt_deflate.npz'), 'wb') as f:
        f.write(bytes(blob))


def npz_write_fixtures():
    """np.save's own bytes for the arrays test/npz-write.test.ts writes, to compare byte for byte."""
    savez('written_by_numpy.npz',
          f4=np.array([[1.5, -2.0, 0.1]], dtype='<f4'),
          f8=np.array([np.pi, -0.0, 1e-300, 5.0], dtype='<f8').reshape(2, 2),
          i4=np.array([-5, 0, 7], dtype='<i4'),
          i8=np.array([-2**63, 2**63 - 1], dtype='<i8'),
          u1=np.arange(24, dtype='u1').reshape(2, 3, 4),
          scalar=np.array(3.25, dtype='<f8'),
          empty=np.zeros((0, 28, 28), dtype='u1'))


# Dataset fixtures for test/data-*.test.ts. The tests recompute these formulas, so keep them in step
# with test/fixtures/data/expected.ts: pixel i of a split is (i + offset) * 37 % 256, train offset 0, test 1000.
N_TRAIN, N_TEST, H, W = 6, 3, 4, 5
TRAIN_LABELS = [3, 1, 4, 1, 5, 9]
TEST_LABELS = [2, 6, 5]


def pixels(n, offset, h=H, w=W):
    return ((np.arange(n * h * w) + offset) * 37 % 256).astype('u1').reshape(n, h, w)


def split(dtype_x='u1', dtype_y='u1'):
    """The standard four arrays, pixels cast (floats scaled to [0,1]) and labels cast."""
    def x(a):
        return a if np.dtype(dtype_x).kind in 'iu' else (a / 255.0).astype(dtype_x)
    return (x(pixels(N_TRAIN, 0)), np.array(TRAIN_LABELS, dtype=dtype_y),
            x(pixels(N_TEST, 1000)), np.array(TEST_LABELS, dtype=dtype_y))


def standard_idx():
    x, y, tx, ty = split()
    return {'train_x': x, 'train_y': y, 'test_x': tx, 'test_y': ty}


def dataset_fixtures():
    # Good layouts.
    dataset('ds_seed.npz', split())
    dataset('ds_keras.npz', split(), KERAS_KEYS, compress=True)
    x, y, tx, ty = split('f4', 'i8')
    dataset('ds_float32_nhwc.npz', (x[..., None], y, tx[..., None], ty))
    x, y, tx, ty = split('f8', 'i4')
    dataset('ds_float64_nchw.npz', (x[:, None], y, tx[:, None], ty), KERAS_KEYS)
    x, y, tx, ty = split('u1', 'i2')
    dataset('ds_flat.npz', (x.reshape(N_TRAIN, -1), y, tx.reshape(N_TEST, -1), ty))
    x, y, tx, ty = split('f4', 'f8')
    dataset('ds_float_labels.npz', (x, y, tx, ty))
    x, y, tx, ty = split()
    dataset('ds_float_0_255.npz', (x.astype('f4'), y, tx.astype('f4'), ty))
    dataset('ds_int16_pixels.npz', (x.astype('<i2'), y, tx.astype('>i2'), ty))
    dataset('ds_custom_keys.npz', split(), ('imgs', 'lbls', 'timgs', 'tlbls'))
    x, y, tx, ty = split('f8', 'i8')
    dataset('ds_bigendian_fortran.npz', (
        np.asfortranarray(x.astype('>f8')), y.astype('>i8'),
        np.asfortranarray(pixels(N_TEST, 1000)), ty.astype('>u2')))

    write_idx('idx_raw', standard_idx())
    write_idx('idx_gz', standard_idx(), gz=True, names={
        'train_x': 'train-images-idx3-ubyte.gz', 'train_y': 'train-labels-idx1-ubyte.gz',
        'test_x': 't10k-images-idx3-ubyte.gz', 'test_y': 't10k-labels-idx1-ubyte.gz'})
    write_idx('idx_gz_noext', standard_idx(), gz=True)
    # And the reverse: raw bytes under .gz names (a mirror that unpacked without renaming).
    write_idx('idx_raw_named_gz', standard_idx(), names={
        'train_x': 'train-images-idx3-ubyte.gz', 'train_y': 'train-labels-idx1-ubyte.gz',
        'test_x': 't10k-images-idx3-ubyte.gz', 'test_y': 't10k-labels-idx1-ubyte.gz'})
    write_idx('idx_dotted', standard_idx(), names={
        'train_x': 'train-images.idx3-ubyte', 'train_y': 'train-labels.idx1-ubyte',
        'test_x': 't10k-images.idx3-ubyte', 'test_y': 't10k-labels.idx1-ubyte'})

    d = path('npy_dir')
    os.makedirs(d, exist_ok=True)
    for key, a in zip(KERAS_KEYS, split()):
        np.save(os.path.join(d, key + '.npy'), a)

    # Bad .npz inputs, one problem each.
    x, y, tx, ty = split()
    savez('bad_missing_keys.npz', x_train=x, y_train=y, x_test=tx)
    dataset('bad_object_images.npz', (np.array([[1, 2], None], dtype=object), y, tx, ty))
    dataset('bad_string_labels.npz', (x, np.array([str(v) for v in TRAIN_LABELS]), tx, ty))
    dataset('bad_complex_images.npz', (x.astype('c8'), y, tx, ty), KERAS_KEYS)
    write_zip('bad_count_header.npz', {
        'trainimages.npy': npy_bytes(x)[:-7], 'trainlabels.npy': npy_bytes(y),
        'testimages.npy': npy_bytes(tx), 'testlabels.npy': npy_bytes(ty)})
    dataset('bad_count_mismatch.npz', (x, y[:5], tx, ty))
    dataset('bad_negative_label.npz', (x, np.array([3, 1, -1, 1, 5, 9], 'i8'), tx, ty))
    dataset('bad_fractional_label.npz', (x, y, tx, np.array([2, 2.5, 5], 'f4')))
    dataset('bad_too_many_classes.npz', (x, np.array([3, 1, 4, 70000, 5, 9], 'i4'), tx, ty))
    dataset('bad_huge_int64_label.npz', (x, np.array([3, 1, 4, 1, 2**62, 9], 'i8'), tx, ty))
    # Training uses labels up to 9; test label 1 is 12, a class no training image has.
    dataset('bad_unseen_test_label.npz', (x, y, tx, np.array([2, 12, 5], 'i8')))
    xf = (x / 255.0).astype('f4')
    xf[2, 1, 3] = np.nan
    dataset('bad_nan_pixel.npz', (xf, y, (tx / 255.0).astype('f4'), ty))
    txf = tx / 255.0
    txf[1, 0, 0] = -np.inf
    dataset('bad_inf_pixel.npz', ((x / 255.0), y, txf, ty))
    xf = (x / 255.0).astype('f4')
    xf[0, 0, 1] = -0.5
    dataset('bad_negative_pixel.npz', (xf, y, (tx / 255.0).astype('f4'), ty))
    dataset('bad_empty_train.npz', (np.zeros((0, H, W), 'u1'), np.zeros(0, 'u1'), tx, ty))
    dataset('bad_size_mismatch.npz', (x, y, pixels(N_TEST, 1000, h=W, w=H), ty))
    dataset('bad_rgb.npz', (np.repeat(x[..., None], 3, axis=3), y, tx, ty))
    dataset('bad_onehot.npz', (x, np.eye(10, dtype='f4')[TRAIN_LABELS], tx, ty))
    xi = x.astype('i4')
    xi[5, 3, 4] = 300
    dataset('bad_int_pixels.npz', (xi, y, tx, ty))

    # Bad IDX directories, one problem each.
    good = standard_idx()
    images = idx_bytes(good['train_x'])
    write_idx('idx_truncated', {**good, 'train_x': images[:-10]})
    write_idx('idx_extra_bytes', {**good, 'train_y': idx_bytes(good['train_y']) + b'\0\0\0'})
    write_idx('idx_swapped', {**good, 'train_x': good['train_y'], 'train_y': good['train_x']})
    write_idx('idx_not_idx', {**good, 'test_y': b'label,file\n2\n6\n5\n'})
    write_idx('idx_int32', {**good, 'test_x': struct.pack('>I', 0x0C03) + struct.pack('>III', 3, H, W) + b'\0' * (3 * H * W * 4)})
    write_idx('idx_count_mismatch', {**good, 'test_y': good['test_y'][:2]})
    write_idx('idx_size_mismatch', {**good, 'test_x': pixels(N_TEST, 1000, h=W, w=H)})
    write_idx('idx_incomplete', {k: v for k, v in good.items() if k != 'test_y'})
    write_idx('idx_corrupt_gz', standard_idx(), gz=True)
    name = os.path.join(path('idx_corrupt_gz'), 'train-images-idx3-ubyte')
    blob = open(name, 'rb').read()
    with open(name, 'wb') as f:
        f.write(blob[: len(blob) - 12])


def main():
    os.makedirs(OUT, exist_ok=True)
    npz_read_fixtures()
    npz_write_fixtures()
    dataset_fixtures()


if __name__ == '__main__':
    main()
