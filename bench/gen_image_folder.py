#!/usr/bin/env python3
"""Writes a generated image-folder dataset (data.format: image_folder) for the streaming tests and
benchmarks: OUT/train/<class>/<n>.png and OUT/test/<class>/<n>.png, classes "c0".."cK-1", each
class a different smooth pattern plus noise (so a model learns something and PNG compresses as
photos do, roughly). Standard library only (zlib for PNG); --format ppm writes binary PPM.

  python3 bench/gen_image_folder.py OUT --train 200000 --test 2000 --size 64 --channels 3
"""
import argparse
import os
import random
import struct
import zlib


def png_bytes(w, h, c, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    color = {1: 0, 3: 2}[c]
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


_bases = {}


def image_rows(k, i, size, c, rng):
    """Class k's pattern (stripes of a class-given direction and period, at a random phase),
    with two rows of noise at random places so that no two images are alike. The patterns are
    made once: writing 200,000 images takes minutes, not hours, without numpy."""
    dx, dy = [(1, 0), (0, 1), (1, 1), (1, -1), (2, 1), (1, 2), (3, 1), (1, 3)][k % 8]
    period = 4 + (k // 8) % 5
    phase = rng.randrange(period)
    key = (k, phase, size, c)
    if key not in _bases:
        rows = []
        for y in range(size):
            row = bytearray(size * c)
            for x in range(size):
                v = 200 if ((x * dx + y * dy + phase) // period) % 2 else 40
                for ch in range(c):
                    row[x * c + ch] = (v + ch * 30 * (k % 3)) & 255
            rows.append(bytes(row))
        _bases[key] = rows
    rows = list(_bases[key])
    for _ in range(2):
        rows[rng.randrange(size)] = rng.randbytes(size * c)
    return rows


def write_split(out, split, n, classes, size, c, fmt, rng):
    for k in range(classes):
        os.makedirs(os.path.join(out, split, f"c{k}"), exist_ok=True)
    for i in range(n):
        k = i % classes
        rows = image_rows(k, i, size, c, rng)
        path = os.path.join(out, split, f"c{k}", f"{i:07d}.{fmt}")
        if fmt == "png":
            data = png_bytes(size, size, c, rows)
        else:
            data = f"P{6 if c == 3 else 5}\n{size} {size}\n255\n".encode() + b"".join(rows)
        with open(path, "wb") as f:
            f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--train", type=int, default=1000)
    ap.add_argument("--test", type=int, default=100)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--channels", type=int, default=3, choices=(1, 3))
    ap.add_argument("--format", default="png", choices=("png", "ppm"))
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    write_split(a.out, "train", a.train, a.classes, a.size, a.channels, a.format, rng)
    write_split(a.out, "test", a.test, a.classes, a.size, a.channels, a.format, rng)


if __name__ == "__main__":
    main()
