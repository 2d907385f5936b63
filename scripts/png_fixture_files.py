"""PNG writing and reading-back behind scripts/make_predict_fixtures.py and
scripts/make_channel_fixtures.py, and the luminance shardtrain must see in a colour image.

The PNG files are assembled chunk by chunk (signature, IHDR, optional PLTE, IDAT, IEND, each with
its CRC-32), with numpy and zlib only, so no imaging library decides what a PNG is. When Pillow is
importable (Debian's python3-pil: run with /usr/bin/python3), verify_with_pillow reads them back and
compares them with the samples written, which proves that a real decoder opens the files.
"""
import struct
import zlib

import numpy as np

# ITU-R BT.601 luma, the weights Pillow's convert('L') uses; shardtrain's PNG reader uses the same.
LUMA = (0.299, 0.587, 0.114)

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'

# Adam7 passes: first column, first row, column step, row step.
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)


def scanlines(samples, depth):
    """Rows of packed samples, each after filter byte 0 (None)."""
    h, w, channels = samples.shape
    if depth == 1:
        rows = [np.packbits(row.reshape(-1)).tobytes() for row in samples]
    else:
        rows = [row.astype('>u2' if depth == 16 else 'u1').tobytes() for row in samples.reshape(h, 1, w * channels)]
    return b''.join(b'\x00' + row for row in rows)


def png_bytes(samples, color_type, palette=None, depth=None, interlace=False):
    """samples: (H, W, channels) uint8 or uint16 (or 0/1 values with depth=1)."""
    h, w, channels = samples.shape
    depth = depth or (16 if samples.dtype == np.uint16 else 8)
    if interlace:
        raw = b''.join(scanlines(samples[y0::dy, x0::dx], depth) for x0, y0, dx, dy in ADAM7 if x0 < w and y0 < h)
    else:
        raw = scanlines(samples, depth)
    parts = [PNG_SIGNATURE, chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, color_type, 0, 0, 1 if interlace else 0))]
    if palette is not None:
        parts.append(chunk(b'PLTE', palette.astype(np.uint8).tobytes()))
    parts += [chunk(b'IDAT', zlib.compress(raw, 9)), chunk(b'IEND', b'')]
    return b''.join(parts)


def write_png(path, samples, color_type, palette=None, depth=None, interlace=False):
    """Returns the bytes written, for fixtures that damage a good file."""
    data = png_bytes(samples, color_type, palette, depth, interlace)
    with open(path, 'wb') as f:
        f.write(data)
    return data


def luminance(rgb, max_value):
    """BT.601 on the stored samples, (..., 3 or more) -> (...), as src/data/png-image.ts computes it:
    gray (R = G = B) stays R / max exactly, which the weighted sum (not exactly 1 in floats) would not."""
    r, g, b = (rgb[..., k].astype(np.float64) for k in range(3))
    return np.where((r == g) & (g == b), r / max_value, (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b) / max_value)


def verify_with_pillow(written):
    """written: {path: the pixels a decoder must give, (H, W) or (H, W, channels)}; palette and
    1-bit images as the gray or RGB values they stand for."""
    try:
        from PIL import Image
    except ImportError:
        print('Pillow not found: PNG files not cross-checked (run with /usr/bin/python3 after apt-get install python3-pil)')
        return
    for path, pixels in written.items():
        with Image.open(path) as im:
            im.load()
            if im.mode == 'P':
                im = im.convert('RGB')
            if im.mode == '1':
                im = im.convert('L')
            got = np.array(im)
        want = pixels[..., 0] if pixels.ndim == 3 and pixels.shape[-1] == 1 else pixels
        if want.dtype == np.uint16 and want.ndim == 3:
            # Pillow reads 16-bit colour as 8-bit (16-bit gray it keeps): compare the high bytes.
            want = want >> 8
        if got.shape != want.shape or not np.array_equal(got.astype(np.int64), want.astype(np.int64)):
            raise SystemExit(f'{path}: Pillow reads {got.dtype} {got.shape}, not the pixels written')
    print(f'{len(written)} PNG files read back identically by Pillow {Image.__version__}')
