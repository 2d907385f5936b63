#!/usr/bin/env python3
"""Writes the fixtures of images with channels to test/fixtures/channels/, with real numpy, and
what each must read as (expected.json), so the tests compare shardtrain's readers with numpy.

Datasets (.npz, the seed's keys unless said): colour images stored channel-last (N,H,W,C) as Keras
does and channel-first (N,C,H,W) as PyTorch does, in several dtypes; a shape whose channel axis
the shape does not tell (N,3,6,3); two channels (N,H,W,2); and bad files, one problem each. The
expected values are the images as numpy transposes them to (N,C,H,W), which is how shardtrain
keeps them, and for floats the values numpy stored.

Predict inputs: PNG files assembled chunk by chunk (scripts/png_fixture_files.py, so no imaging
library decides what a PNG is; when Pillow is importable they are read back with it) and
.npy arrays of every shape predict reads, with the (C,H,W) values in [0, 1] each must give and,
for RGB, the BT.601 luminance a gray network sees.

Run from anywhere: python3 scripts/make_channel_fixtures.py. Output is deterministic.
"""
import json
import os

import numpy as np

from data_fixture_files import KERAS_KEYS, SEED_KEYS, dataset
from png_fixture_files import luminance, verify_with_pillow, write_png

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'channels')

# Neither 5 nor 6 is 1, 3 or 4, so (N,5,6,3) and (N,3,5,6) say where their channels are.
N_TRAIN, N_TEST, H, W = 4, 2, 5, 6
TRAIN_LABELS = [3, 1, 4, 1]
TEST_LABELS = [2, 0]


def path(name):
    return os.path.join(OUT, name)


def pattern(shape, offset):
    """uint8 values (i + offset) * 37 % 256 in the array's own C order: every position differs from its neighbours."""
    return ((np.arange(int(np.prod(shape))) + offset) * 37 % 256).astype('u1').reshape(shape)


def to_nchw(x, layout):
    return np.ascontiguousarray(np.transpose(x, (0, 3, 1, 2)) if layout == 'last' else x)


def listed(a):
    return np.asarray(a).ravel(order='C').tolist()


# ------------------------------------------------------------------------------------------------
# Datasets for loadDataset and train --data.

def expected_set(x, layout):
    """What shardtrain must hold: (N,C,H,W) and the stored values (floats as numpy stored them)."""
    nchw = to_nchw(x, layout)
    values = nchw.astype(np.float64) if nchw.dtype.kind == 'f' else nchw.astype(np.int64)
    return {'shape': list(nchw.shape), 'values': listed(values)}


def datasets():
    expected = {}

    def good(name, x, tx, layout, keys=SEED_KEYS, compress=False, stored=None):
        """stored: the arrays as written (a dtype or order change of x and tx), default x and tx themselves."""
        written = stored or (x, tx)
        arrays = (written[0], np.array(TRAIN_LABELS, 'u1'), written[1], np.array(TEST_LABELS, 'u1'))
        dataset(name, arrays, keys, compress, out=OUT)
        expected.setdefault(name, {})[layout] = {'train': expected_set(x, layout), 'test': expected_set(tx, layout)}

    x, tx = pattern((N_TRAIN, H, W, 3), 0), pattern((N_TEST, H, W, 3), 1000)
    good('rgb_u1_nhwc.npz', x, tx, 'last')
    # int16 exports of 0..255 data become bytes; one split big-endian.
    good('rgb_i2_nhwc.npz', x, tx, 'last', stored=(x.astype('<i2'), tx.astype('>i2')))
    xf, txf = (x / 255.0).astype('>f8'), (tx / 255.0).astype('>f8')
    good('rgb_f8_bigendian_fortran_nhwc.npz', xf, txf, 'last', stored=(np.asfortranarray(xf), np.asfortranarray(txf)))
    x, tx = pattern((N_TRAIN, 3, H, W), 0), pattern((N_TEST, 3, H, W), 1000)
    good('rgb_f4_nchw.npz', (x / 255.0).astype('f4'), (tx / 255.0).astype('f4'), 'first', KERAS_KEYS, compress=True)
    # 3 rows and 3 channels, or 3 channels of 6x3: only the user knows.
    x, tx = pattern((N_TRAIN, 3, 6, 3), 0), pattern((N_TEST, 3, 6, 3), 1000)
    good('ambiguous_u1.npz', x, tx, 'last')
    expected['ambiguous_u1.npz']['first'] = {'train': expected_set(x, 'first'), 'test': expected_set(tx, 'first')}
    # Two channels (neither axis is 1, 3 or 4): legal when the user says where they are.
    good('two_channels_u1.npz', pattern((N_TRAIN, H, W, 2), 0), pattern((N_TEST, H, W, 2), 1000), 'last')

    x, tx = pattern((N_TRAIN, H, W, 3), 0), pattern((N_TEST, H, W, 3), 1000)
    y, ty = np.array(TRAIN_LABELS, 'u1'), np.array(TEST_LABELS, 'u1')
    xf = (x / 255.0).astype('f4')
    xf[1, 2, 4, 2] = np.nan  # image 1, row 2, column 4, channel 2
    dataset('bad_nan_nhwc.npz', (xf, y, (tx / 255.0).astype('f4'), ty), out=OUT)
    xi = pattern((N_TRAIN, 3, H, W), 0).astype('i2')
    xi[3, 1, 0, 5] = 300  # image 3, channel 1, row 0, column 5
    dataset('bad_int_nchw.npz', (xi, y, pattern((N_TEST, 3, H, W), 1000), ty), out=OUT)
    dataset('bad_channels_mismatch.npz', (x, y, tx[..., 0], ty), out=OUT)
    dataset('gray_nhw.npz', (x[..., 0], y, tx[..., 0], ty), out=OUT)
    return {'trainLabels': TRAIN_LABELS, 'testLabels': TEST_LABELS, 'datasets': expected}


# ------------------------------------------------------------------------------------------------
# Predict inputs.

def predict_inputs():
    cases = {}

    def case(name, chw, lum=None, alpha=None):
        """composited: what a network of the image's channels sees without --invert (over black)."""
        cases[name] = {'shape': list(chw.shape), 'values': listed(chw),
                       'luminance': None if lum is None else listed(lum), 'alpha': None if alpha is None else listed(alpha),
                       'composited': listed(chw if alpha is None else chw * alpha[None])}

    rgb = pattern((H, W, 3), 7)
    write_png(path('rgb8.png'), rgb, 2)
    case('rgb8.png', np.transpose(rgb, (2, 0, 1)) / 255.0, luminance(rgb, 255))
    rgba = np.concatenate([rgb, pattern((H, W, 1), 3)], axis=2)
    rgba[0, 0, 3], rgba[0, 1, 3] = 0, 255
    write_png(path('rgba8.png'), rgba, 6)
    case('rgba8.png', np.transpose(rgb, (2, 0, 1)) / 255.0, luminance(rgb, 255), rgba[..., 3] / 255.0)
    rgb16 = (pattern((H, W, 3), 11).astype(np.uint16) * 257 + np.arange(H * W * 3, dtype=np.uint16).reshape(H, W, 3))
    write_png(path('rgb16.png'), rgb16, 2)
    case('rgb16.png', np.transpose(rgb16, (2, 0, 1)) / 65535.0, luminance(rgb16, 65535))
    gray = pattern((H, W, 1), 5)
    write_png(path('gray8.png'), gray, 0)
    case('gray8.png', np.transpose(gray, (2, 0, 1)) / 255.0, gray[..., 0] / 255.0)

    # .npy: one image (C,H,W) and (H,W,C), stacks (N,H,W,C) and (N,C,H,W). Image 0 of the uint8
    # stack has rgb8.png's samples, so a gray network must see the same luminance from both.
    chw = (pattern((3, H, W), 13) / 255.0).astype('f4')
    np.save(path('image_chw_f4.npy'), chw)
    case('image_chw_f4.npy', chw.astype(np.float64), luminance(np.transpose(chw, (1, 2, 0)), 1))
    hwc = pattern((H, W, 3), 17)
    np.save(path('image_hwc_u1.npy'), hwc)
    case('image_hwc_u1.npy', np.transpose(hwc, (2, 0, 1)) / 255.0, luminance(hwc, 255))
    nhwc = np.stack([rgb, pattern((H, W, 3), 19)])
    np.save(path('stack_nhwc_u1.npy'), nhwc)
    for i in range(2):
        case(f'stack_nhwc_u1.npy[{i}]', np.transpose(nhwc[i], (2, 0, 1)) / 255.0, luminance(nhwc[i], 255))
    nchw = pattern((2, 3, H, W), 23) / 255.0
    np.save(path('stack_nchw_f8.npy'), nchw)
    for i in range(2):
        case(f'stack_nchw_f8.npy[{i}]', nchw[i], luminance(np.transpose(nchw[i], (1, 2, 0)), 1))
    ambiguous = pattern((2, 3, 6, 3), 29)
    np.save(path('stack_ambiguous_u1.npy'), ambiguous)
    for layout in ('last', 'first'):
        for i, image in enumerate(to_nchw(ambiguous, layout)):
            case(f'stack_ambiguous_u1.npy[{i}] {layout}', image / 255.0)
    two = pattern((H, W, 2), 31)
    np.save(path('image_hwc2_u1.npy'), two)
    case('image_hwc2_u1.npy', np.transpose(two, (2, 0, 1)) / 255.0)
    np.save(path('stack_nhwc2_u1.npy'), two[None])
    bad = pattern((2, 3, H, W), 37) / 255.0
    bad[1, 2, 3, 4] = 1.5  # image 1, channel 2, row 3, column 4
    np.save(path('bad_range_nchw_f8.npy'), bad)
    verify_with_pillow({path('rgb8.png'): rgb, path('rgba8.png'): rgba, path('rgb16.png'): rgb16, path('gray8.png'): gray})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {**datasets(), 'predict': predict_inputs()}
    with open(path('expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
