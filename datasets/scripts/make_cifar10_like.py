#!/usr/bin/env python3
"""Draw a small SYNTHETIC stand-in for CIFAR-10, in CIFAR-10's binary format.

No package on the registries fireside can use ships enough real CIFAR-10
images to train on (the few that mention CIFAR-10 download it at run time, and
foolbox ships only 20 test images), so fireside's notebooks run on this set
until the real one is installed (see datasets/data/cifar10-subset/README.md).

Each image is a 32x32 scene of one CIFAR-10 class drawn from simple shapes:
a plane in the sky, a car or a truck on a road, a bird, the face of a cat
(pointed ears) or of a dog (hanging ears), a deer (antlers) or a horse (mane,
tail) in a field, a frog in the grass, a ship on the water. Colours, position,
size, background, textures, lighting and clutter vary at random, and half
of the images are mirrored, so a network has to learn shapes and colours, not one
template; some classes look alike on purpose (cat/dog, deer/horse,
automobile/truck), as in the real set.

Written, in the output folder (gzipped, which the loader reads as well):

    data_batch_1.bin.gz   2,500 training records, 250 per class, in random order
    test_batch.bin.gz       500 test records, 50 per class, in random order
    batches.meta.txt       the ten class names, one per line

A record is 1 label byte and 3,072 image bytes: 1,024 red, 1,024 green, then
1,024 blue, each plane row by row (CIFAR-10's layout). Python 3 standard
library only; the same files on every run:

    python3 datasets/scripts/make_cifar10_like.py datasets/data/cifar10-subset
"""

import gzip
import math
import random
import sys
from pathlib import Path

SIDE = 32
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
TRAIN_PER_CLASS = 250
TEST_PER_CLASS = 50
SEED = 20240610


class Canvas:
    """A 32x32 RGB image of floats in [0, 1]."""

    def __init__(self):
        self.pixels = [[(0.0, 0.0, 0.0)] * SIDE for _ in range(SIDE)]

    def fill(self, inside, color):
        """Paints every pixel whose centre (x, y) satisfies `inside`."""
        for y in range(SIDE):
            row = self.pixels[y]
            for x in range(SIDE):
                if inside(x + 0.5, y + 0.5):
                    row[x] = color

    def ellipse(self, cx, cy, rx, ry, color, angle=0.0):
        cos, sin = math.cos(angle), math.sin(angle)

        def inside(x, y):
            dx, dy = x - cx, y - cy
            u, v = dx * cos + dy * sin, -dx * sin + dy * cos
            return (u / rx) ** 2 + (v / ry) ** 2 <= 1.0

        self.fill(inside, color)

    def rect(self, x0, y0, x1, y1, color):
        self.fill(lambda x, y: x0 <= x <= x1 and y0 <= y <= y1, color)

    def polygon(self, points, color):
        def inside(x, y):
            # Even-odd rule.
            result = False
            for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1]):
                if (ay > y) != (by > y) and x < (bx - ax) * (y - ay) / (by - ay) + ax:
                    result = not result
            return result

        self.fill(inside, color)

    def line(self, x0, y0, x1, y1, width, color):
        length2 = (x1 - x0) ** 2 + (y1 - y0) ** 2 or 1e-9

        def inside(x, y):
            t = max(0.0, min(1.0, ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / length2))
            px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            return (x - px) ** 2 + (y - py) ** 2 <= (width / 2) ** 2

        self.fill(inside, color)

    def gradient(self, top, bottom, y0=0, y1=SIDE):
        for y in range(y0, y1):
            t = (y - y0) / max(1, y1 - y0 - 1)
            color = mix(top, bottom, t)
            self.pixels[y] = [color] * SIDE

    def speckle(self, rng, amount, y0=0, y1=SIDE):
        """Adds blotchy texture (leaves, grass, carpet) to rows y0..y1."""
        for y in range(y0, y1):
            for x in range(SIDE):
                if rng.random() < 0.35:
                    r, g, b = self.pixels[y][x]
                    d = rng.uniform(-amount, amount)
                    self.pixels[y][x] = (r + d, g + d, b + d)


def mix(a, b, t):
    return tuple(a[i] * (1 - t) + b[i] * t for i in range(3))


def jitter(rng, color, amount=0.08):
    return tuple(min(1.0, max(0.0, c + rng.uniform(-amount, amount))) for c in color)


def pick(rng, colors, amount=0.08):
    return jitter(rng, rng.choice(colors), amount)


SKY = [(0.55, 0.75, 0.95), (0.75, 0.85, 0.95), (0.85, 0.88, 0.92), (0.45, 0.6, 0.85)]
GRASS = [(0.3, 0.55, 0.2), (0.45, 0.6, 0.25), (0.35, 0.45, 0.2), (0.55, 0.6, 0.35)]
INDOOR = [(0.75, 0.65, 0.5), (0.6, 0.55, 0.5), (0.8, 0.78, 0.72), (0.5, 0.4, 0.35), (0.35, 0.35, 0.4)]
STREET = [(0.6, 0.6, 0.62), (0.7, 0.65, 0.6), (0.5, 0.55, 0.6), (0.8, 0.8, 0.78)]
ROAD = [(0.3, 0.3, 0.32), (0.4, 0.4, 0.4), (0.25, 0.25, 0.28)]
PAINT = [(0.8, 0.1, 0.1), (0.1, 0.2, 0.7), (0.9, 0.8, 0.1), (0.9, 0.9, 0.9), (0.15, 0.15, 0.15), (0.2, 0.6, 0.3)]
FUR = [(0.85, 0.5, 0.2), (0.5, 0.5, 0.5), (0.15, 0.12, 0.1), (0.9, 0.88, 0.85), (0.6, 0.4, 0.25)]
BROWN = [(0.55, 0.35, 0.2), (0.45, 0.3, 0.15), (0.65, 0.45, 0.25)]
WATER = [(0.15, 0.35, 0.6), (0.2, 0.45, 0.55), (0.1, 0.25, 0.45)]


def airplane(c, rng, s, cx, cy):
    c.gradient(pick(rng, SKY), pick(rng, SKY))
    body = pick(rng, [(0.9, 0.9, 0.92), (0.6, 0.62, 0.65), (0.8, 0.8, 0.85), (0.3, 0.3, 0.35)])
    tilt = rng.uniform(-0.3, 0.3)
    c.polygon([(cx - 2 * s, cy), (cx + 6 * s, cy - 9 * s), (cx + 8 * s, cy - 8 * s), (cx + 3 * s, cy),
               (cx + 8 * s, cy + 8 * s), (cx + 6 * s, cy + 9 * s)], body)  # swept wings
    c.ellipse(cx, cy, 13 * s, 2.2 * s, body, tilt)  # fuselage
    c.polygon([(cx + 10 * s, cy), (cx + 13 * s, cy - 6 * s), (cx + 14 * s, cy - 6 * s), (cx + 13 * s, cy)], body)


def vehicle(c, rng, s, cx, cy, truck):
    c.gradient(pick(rng, STREET), pick(rng, STREET), 0, 20)
    c.gradient(pick(rng, ROAD), pick(rng, ROAD), 20, SIDE)
    paint = pick(rng, PAINT)
    ground = cy + 7 * s
    if truck:
        c.rect(cx - 13 * s, ground - 17 * s, cx + 4 * s, ground - 3 * s, pick(rng, PAINT))  # box trailer
        c.rect(cx + 5 * s, ground - 12 * s, cx + 13 * s, ground - 3 * s, paint)  # cab
        c.rect(cx + 8 * s, ground - 11 * s, cx + 12 * s, ground - 7 * s, (0.6, 0.75, 0.85))  # window
        wheels = [cx - 9 * s, cx - 4 * s, cx + 9 * s]
    else:
        c.rect(cx - 13 * s, ground - 8 * s, cx + 13 * s, ground - 3 * s, paint)  # low body
        c.polygon([(cx - 7 * s, ground - 8 * s), (cx - 4 * s, ground - 13 * s), (cx + 5 * s, ground - 13 * s),
                   (cx + 8 * s, ground - 8 * s)], paint)  # cabin
        c.polygon([(cx - 5 * s, ground - 8.5 * s), (cx - 3 * s, ground - 12 * s), (cx + 4 * s, ground - 12 * s),
                   (cx + 6.5 * s, ground - 8.5 * s)], (0.6, 0.75, 0.85))  # windows
        wheels = [cx - 8 * s, cx + 8 * s]
    for wx in wheels:
        c.ellipse(wx, ground - 2.5 * s, 3 * s, 3 * s, (0.08, 0.08, 0.08))


def bird(c, rng, s, cx, cy):
    if rng.random() < 0.5:
        c.gradient(pick(rng, SKY), pick(rng, SKY))
    else:
        c.gradient(pick(rng, GRASS), pick(rng, GRASS))
        c.speckle(rng, 0.1)
    feathers = pick(rng, [(0.45, 0.3, 0.2), (0.15, 0.15, 0.15), (0.2, 0.35, 0.75), (0.8, 0.2, 0.15), (0.9, 0.8, 0.2)])
    s *= 0.7
    c.ellipse(cx, cy, 8 * s, 5 * s, feathers, 0.3)  # body
    c.polygon([(cx + 5 * s, cy + 2 * s), (cx + 13 * s, cy + 6 * s), (cx + 6 * s, cy + 5 * s)], feathers)  # tail
    c.ellipse(cx - 7 * s, cy - 4 * s, 3.5 * s, 3.5 * s, feathers)  # head
    c.polygon([(cx - 10 * s, cy - 5 * s), (cx - 15 * s, cy - 3 * s), (cx - 10 * s, cy - 2.5 * s)],
              (0.95, 0.65, 0.1))  # beak
    c.ellipse(cx - 8 * s, cy - 5 * s, 0.9, 0.9, (0.0, 0.0, 0.0))
    c.ellipse(cx + 1 * s, cy - 1 * s, 5 * s, 2.5 * s, mix(feathers, (0, 0, 0), 0.35), 0.5)  # wing


def face(c, rng, s, cx, cy, cat):
    c.gradient(pick(rng, INDOOR), pick(rng, INDOOR))
    c.speckle(rng, 0.06)
    fur = pick(rng, FUR)
    if cat:
        for side in (-1, 1):  # pointed ears
            c.polygon([(cx + side * 10 * s, cy - 3 * s), (cx + side * 9 * s, cy - 16 * s),
                       (cx + side * 2 * s, cy - 8 * s)], fur)
        c.ellipse(cx, cy, 10 * s, 8.5 * s, fur)
        eye = pick(rng, [(0.5, 0.8, 0.2), (0.9, 0.8, 0.2), (0.3, 0.6, 0.8)])
        for side in (-1, 1):
            c.ellipse(cx + side * 4 * s, cy - 2 * s, 2 * s, 1.6 * s, eye)
            c.ellipse(cx + side * 4 * s, cy - 2 * s, 0.6 * s, 1.5 * s, (0.0, 0.0, 0.0))
        c.polygon([(cx - 1.2 * s, cy + 2 * s), (cx + 1.2 * s, cy + 2 * s), (cx, cy + 3.5 * s)], (0.9, 0.5, 0.5))
    else:
        c.ellipse(cx, cy, 9 * s, 9.5 * s, fur)
        c.ellipse(cx, cy + 5 * s, 5 * s, 4 * s, mix(fur, (1, 1, 1), 0.3))  # muzzle
        ear = mix(fur, (0, 0, 0), rng.uniform(0.2, 0.6))
        for side in (-1, 1):  # hanging ears
            c.ellipse(cx + side * 9 * s, cy + 1 * s, 3.5 * s, 8 * s, ear, side * 0.25)
            c.ellipse(cx + side * 3.5 * s, cy - 2 * s, 1.3 * s, 1.3 * s, (0.05, 0.03, 0.02))
        c.ellipse(cx, cy + 3.5 * s, 2.2 * s, 1.6 * s, (0.05, 0.05, 0.05))  # nose
        if rng.random() < 0.5:
            c.ellipse(cx, cy + 8 * s, 1.5 * s, 2 * s, (0.85, 0.3, 0.35))  # tongue


def quadruped(c, rng, s, cx, cy, horse):
    c.gradient(pick(rng, SKY), pick(rng, SKY), 0, 12)
    c.gradient(pick(rng, GRASS), pick(rng, GRASS), 12, SIDE)
    c.speckle(rng, 0.08, 12, SIDE)
    if horse:
        coat = pick(rng, [(0.45, 0.28, 0.15), (0.1, 0.08, 0.07), (0.85, 0.82, 0.78), (0.6, 0.4, 0.2)])
        dark = mix(coat, (0, 0, 0), 0.5)
        c.ellipse(cx, cy, 10 * s, 5 * s, coat)
        c.line(cx - 8 * s, cy - 2 * s, cx - 12 * s, cy - 11 * s, 5 * s, coat)  # thick neck
        c.ellipse(cx - 14 * s, cy - 11 * s, 4.5 * s, 2.5 * s, coat, 0.5)  # long head
        c.line(cx - 7 * s, cy - 5 * s, cx - 11 * s, cy - 13 * s, 1.5 * s, dark)  # mane
        c.line(cx + 10 * s, cy - 2 * s, cx + 13 * s, cy + 8 * s, 2.2 * s, dark)  # tail
        legs = [cx - 7 * s, cx - 4 * s, cx + 5 * s, cx + 8 * s]
        for lx in legs:
            c.line(lx, cy + 3 * s, lx, cy + 13 * s, 2 * s, coat)
    else:
        coat = pick(rng, BROWN)
        c.ellipse(cx, cy, 8 * s, 4 * s, coat)
        c.ellipse(cx + 6 * s, cy + 1 * s, 2.5 * s, 2.5 * s, (0.92, 0.9, 0.85))  # white tail patch
        c.line(cx - 6 * s, cy - 2 * s, cx - 8 * s, cy - 8 * s, 2.5 * s, coat)  # slim neck
        c.ellipse(cx - 9.5 * s, cy - 9 * s, 3 * s, 2 * s, coat, 0.3)
        antler = (0.35, 0.25, 0.15)
        for dx in (-1.5, 1.5):  # antlers
            base_x, base_y = cx - 9 * s + dx * s, cy - 10.5 * s
            c.line(base_x, base_y, base_x + dx * 2 * s, base_y - 7 * s, 1.0, antler)
            c.line(base_x + dx * s, base_y - 3.5 * s, base_x + dx * 3.5 * s, base_y - 5 * s, 1.0, antler)
        for lx in [cx - 6 * s, cx - 3.5 * s, cx + 4 * s, cx + 6.5 * s]:  # thin legs
            c.line(lx, cy + 2 * s, lx, cy + 13 * s, 1.2 * s, coat)


def frog(c, rng, s, cx, cy):
    c.gradient(pick(rng, GRASS + BROWN), pick(rng, GRASS + BROWN))
    c.speckle(rng, 0.12)
    skin = pick(rng, [(0.35, 0.65, 0.2), (0.5, 0.55, 0.2), (0.3, 0.5, 0.3), (0.6, 0.5, 0.3)])
    c.ellipse(cx, cy + 2 * s, 12 * s, 7 * s, skin)
    for side in (-1, 1):
        c.ellipse(cx + side * 9 * s, cy + 7 * s, 5 * s, 2.5 * s, skin, side * 0.4)  # legs
        c.ellipse(cx + side * 5 * s, cy - 4 * s, 3 * s, 3 * s, skin)  # eye bumps
        c.ellipse(cx + side * 5 * s, cy - 4.5 * s, 1.5 * s, 1.5 * s, (0.05, 0.05, 0.0))
    spot = mix(skin, (0, 0, 0), 0.45)
    for _ in range(rng.randint(3, 7)):
        c.ellipse(cx + rng.uniform(-8, 8) * s, cy + rng.uniform(-1, 6) * s, 1.4 * s, 1.1 * s, spot)


def ship(c, rng, s, cx, cy):
    horizon = int(min(24, max(12, cy + 2 * s)))
    c.gradient(pick(rng, SKY), pick(rng, SKY), 0, horizon)
    c.gradient(pick(rng, WATER), pick(rng, WATER), horizon, SIDE)
    c.speckle(rng, 0.07, horizon, SIDE)
    hull = pick(rng, [(0.15, 0.15, 0.2), (0.6, 0.15, 0.1), (0.9, 0.9, 0.9), (0.2, 0.25, 0.4)])
    c.polygon([(cx - 15 * s, horizon - 5 * s), (cx + 15 * s, horizon - 5 * s), (cx + 11 * s, horizon + 2 * s),
               (cx - 11 * s, horizon + 2 * s)], hull)
    c.rect(cx - 6 * s, horizon - 10 * s, cx + 6 * s, horizon - 5 * s, pick(rng, [(0.95, 0.95, 0.95), (0.8, 0.8, 0.75)]))
    c.rect(cx - 2 * s, horizon - 15 * s, cx + 1 * s, horizon - 10 * s, pick(rng, PAINT))  # funnel


def draw(label, rng):
    canvas = Canvas()
    s = rng.uniform(0.6, 1.2)  # scale
    cx = 16 + rng.uniform(-6, 6)  # position: parts may leave the frame
    cy = 16 + rng.uniform(-5, 5)
    name = CLASSES[label]
    if name == "airplane":
        airplane(canvas, rng, s, cx, cy)
    elif name in ("automobile", "truck"):
        vehicle(canvas, rng, s, cx, cy, truck=name == "truck")
    elif name == "bird":
        bird(canvas, rng, s, cx, cy)
    elif name in ("cat", "dog"):
        face(canvas, rng, s, cx, cy, cat=name == "cat")
    elif name in ("deer", "horse"):
        quadruped(canvas, rng, s, cx + 2, cy, horse=name == "horse")
    elif name == "frog":
        frog(canvas, rng, s, cx, cy)
    else:
        ship(canvas, rng, s, cx, cy)
    # Clutter: a blob of any colour somewhere, in front of the scene or not.
    for _ in range(rng.randint(0, 2)):
        blob = (rng.random(), rng.random(), rng.random())
        corner_x, corner_y = rng.choice([2, 30]), rng.uniform(0, 32)
        canvas.ellipse(corner_x, corner_y, rng.uniform(2, 5), rng.uniform(2, 5), blob, rng.uniform(0, 3))

    # Lighting and mirror image. (No per-pixel sensor noise: it would not
    # compress, and the shipped files must stay small.)
    gain = rng.uniform(0.75, 1.2)
    offset = rng.uniform(-0.08, 0.08)
    tint = [rng.uniform(-0.05, 0.05) for _ in range(3)]
    mirror = rng.random() < 0.5
    planes = [[], [], []]
    for y in range(SIDE):
        row = canvas.pixels[y][::-1] if mirror else canvas.pixels[y]
        for x in range(SIDE):
            for channel in range(3):
                value = row[x][channel] * gain + offset + tint[channel]
                planes[channel].append(max(0, min(255, round(value * 255))))
    return bytes(planes[0] + planes[1] + planes[2])


def records(count_per_class, rng):
    labels = [label for label in range(len(CLASSES)) for _ in range(count_per_class)]
    rng.shuffle(labels)
    out = bytearray()
    for label in labels:
        out.append(label)
        out += draw(label, rng)
    return bytes(out)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, per_class, seed in [("data_batch_1.bin", TRAIN_PER_CLASS, SEED), ("test_batch.bin", TEST_PER_CLASS, SEED + 1)]:
        data = records(per_class, random.Random(seed))
        # mtime=0 and no file name: the same bytes on every run.
        with open(out / f"{name}.gz", "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as packed:
                packed.write(data)
        print(f"{name}.gz: {len(data) // 3073} records")
    (out / "batches.meta.txt").write_text("\n".join(CLASSES) + "\n")


if __name__ == "__main__":
    main()
