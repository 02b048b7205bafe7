"""Runs ci/bench-train's models on fireside and its peers, and prints the table.

Called by ci/bench-train, which builds the fireside half
(toolkit/examples/bench_train.rs, path in FIRESIDE_BENCH_BIN) and installs the
peers into the benchmark's own environment; the peers' half is
ci/bench_train_peers.py. Every side prints one JSON line per model and run.

    python ci/bench_train.py [--steps N] [--runs R] [--models a,b] [--gpu [--batches 64,512]] [--no-peer] [--json FILE]

CPU (the default): fireside against Keras 3 + JAX and PyTorch eager, on the
CPU. Each model runs R rounds; in a round every side runs once, in its own
process, the order turning from round to round, so that the machine's drift
falls on every side alike. A round's ratio is fireside's steady step over the
faster peer's in that round; the table gives the median round and the range.
The machine's peak comes from a large matrix product (PyTorch's, its BLAS)
timed in the same run, and each model's GFLOP per step from its products
(forward and backward, counted below), so GFLOP/s ÷ peak is the fraction of
the machine each side reaches.

--gpu: fireside on wgpu against PyTorch eager on CUDA, each process's GPU
memory sampled from nvidia-smi (every 0.1 s, the most used minus what was
used before it started), the same way for both sides; "-" where there is no
nvidia-smi.
"""

import argparse
import json
import os
import pathlib
import statistics
import shutil
import subprocess
import sys
import threading

HERE = pathlib.Path(__file__).resolve().parent
MODELS = {
    "cnn": "seed CNN, 28x28x1",
    "mlp": "MLP 784-128-10",
    "cifar": "CIFAR CNN + dropout, 32x32x3",
    "lstm": "Embedding(10000, 64) + LSTM(64), 100 words",
}
# Steps per process: about half a second of fireside's steps or more, so that
# a process's median does not hang on one of the machine's short phases (200
# MLP steps, 80 ms, gave single rounds from 0.55 to 1.24 of PyTorch's), while a
# CPU run stays at a few minutes.
DEFAULT_STEPS = {"cnn": 60, "mlp": 1000, "cifar": 50, "lstm": 60}
PEER_NAMES = {"keras": "Keras + JAX", "torch": "PyTorch"}


def gflop_per_step(name, batch):
    """The model's matrix work in one training step, in GFLOP (a multiply-add is 2).

    Forward, the weights' gradients and the inputs' gradients: three products
    of the same size per layer, two for a first layer (its inputs need no
    gradient). Convolutions count as their im2col products. Element-wise work
    (activations, pooling, the optimizer) is left out: it is small beside them.
    """
    def dense(inputs, outputs, first=False):
        return 2 * batch * inputs * outputs * (2 if first else 3)

    def conv(channels, filters, kernel, pixels, first=False):
        return 2 * batch * filters * pixels * channels * kernel * kernel * (2 if first else 3)

    flop = {
        "cnn": conv(1, 32, 3, 26 * 26, first=True) + conv(32, 64, 3, 11 * 11) + dense(1600, 64) + dense(64, 10),
        "cifar": conv(3, 32, 3, 30 * 30, first=True) + conv(32, 64, 3, 13 * 13) + dense(2304, 64) + dense(64, 10),
        "mlp": dense(784, 128, first=True) + dense(128, 10),
        # 100 steps of x_t W and h_{t-1} U (64 -> 4 x 64), each three times;
        # the embedding's gradient is a scatter, not a product.
        "lstm": 100 * (dense(64, 256) + dense(64, 256)) + dense(64, 1),
    }[name]
    return flop / 1e9


def gpu_memory_used_mb():
    """The GPU's used memory in MiB (the first GPU), or None without nvidia-smi."""
    if not shutil.which("nvidia-smi"):
        return None
    result = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                            capture_output=True, text=True)
    try:
        return float(result.stdout.split()[0])
    except (IndexError, ValueError):
        return None


def run(command, env=None, sample_gpu=False):
    before = gpu_memory_used_mb() if sample_gpu else None
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.wait(0.1):
            used = gpu_memory_used_mb()
            if used is not None:
                peak[0] = max(peak[0] or 0.0, used)

    sampler = threading.Thread(target=sample) if before is not None else None
    if sampler:
        sampler.start()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    done.set()
    if sampler:
        sampler.join()
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr[-3000:]}")
    figures = json.loads(lines[-1])
    figures["gpu_mb"] = None if before is None else round(peak[0] - before)
    return figures, result.stderr


def median_round(runs):
    """Of one side's rounds, the one with the median steady step; the first
    step and peak memory are the medians of all rounds."""
    ordered = sorted(runs, key=lambda r: r["median_step_ms"])
    chosen = dict(ordered[len(ordered) // 2])
    chosen["first_step_ms"] = statistics.median(r["first_step_ms"] for r in runs)
    chosen["peak_rss_mb"] = statistics.median(r["peak_rss_mb"] for r in runs)
    return chosen


def machine_peak_gflops():
    """The CPU's measured peak: the best of five 4096² float32 products in PyTorch (its BLAS)."""
    figures, _ = run([sys.executable, str(HERE / "bench_train_peers.py"), "peak"])
    return figures["gflops"], figures["backend"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="steady steps per model (default: per model)")
    parser.add_argument("--runs", type=int, default=5, help="rounds per model: every side once a round (default 5)")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--gpu", action="store_true", help="fireside on wgpu against PyTorch eager on CUDA")
    parser.add_argument("--batches", default="64", help="batch sizes, comma-separated (default 64)")
    parser.add_argument("--no-peer", action="store_true", help="fireside only (a machine without the peers)")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()

    fireside_bin = os.environ.get("FIRESIDE_BENCH_BIN")
    if not fireside_bin:
        sys.exit("FIRESIDE_BENCH_BIN is not set: run this through ci/bench-train, which builds it")
    env = dict(os.environ)
    if args.gpu:
        env["FIRESIDE_BACKEND"] = "wgpu"
    peers = [] if args.no_peer else (["torch"] if args.gpu else ["keras", "torch"])
    sides = ["fireside", *peers]
    peak, peak_backend = (None, None) if args.gpu or args.no_peer else machine_peak_gflops()
    if peak:
        print(f"  machine peak: {peak:.0f} GFLOP/s ({peak_backend})", file=sys.stderr, flush=True)

    rows = []
    describe = None
    for name in args.models.split(","):
        if name not in MODELS:
            sys.exit(f"no benchmark model {name!r}: use {', '.join(MODELS)}")
        for batch in [int(b) for b in args.batches.split(",")]:
            steps = str(args.steps or DEFAULT_STEPS[name])
            runs = {side: [] for side in sides}
            ratios = []
            for round_ in range(args.runs):
                # The order turns each round: f k t, k t f, t f k, ...
                order = sides[round_ % len(sides):] + sides[:round_ % len(sides)]
                this_round = {}
                for side in order:
                    if side == "fireside":
                        figures, stderr = run([fireside_bin, name, steps, str(batch)], env, sample_gpu=args.gpu)
                        describe = describe or stderr.strip().splitlines()[:2]
                    else:
                        command = [sys.executable, str(HERE / "bench_train_peers.py"), side, name, steps, str(batch)]
                        figures = run(command, sample_gpu=args.gpu)[0]
                    this_round[side] = figures
                    runs[side].append(figures)
                if peers:
                    fastest = min(this_round[p]["median_step_ms"] for p in peers)
                    ratios.append(this_round["fireside"]["median_step_ms"] / fastest)
            chosen = {side: median_round(runs[side]) for side in sides}
            rows.append((name, batch, chosen, ratios))
            said = ", ".join(f"{side} {chosen[side]['median_step_ms']:.2f} ms" for side in sides)
            spread = f", ratio {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})" if ratios else ""
            print(f"  {name} batch {batch}: {said}{spread}", file=sys.stderr, flush=True)

    print(f"fireside: {' / '.join(describe or [])}")
    for peer in peers:
        print(f"{PEER_NAMES[peer] + ':':13} {rows[0][2][peer]['backend']}")
    if peak:
        print(f"machine peak: {peak:.0f} GFLOP/s, the best of five 4096x4096 float32 products ({peak_backend})")
    print(f"cores: {os.cpu_count()}; steady step: median of a process's steps after the first; "
          f"{args.runs} rounds, every side once a round, in turning order\n")

    def ms(figures):
        return f"{figures['median_step_ms']:.2f}"

    header = ["model", "batch", "GFLOP/step",
              "steady ms/step " + " / ".join(["f", *(p[0] for p in peers)]),
              "GFLOP/s " + " / ".join(["f", *(p[0] for p in peers)]) + (" (% of peak)" if peak else ""),
              "first step " + " / ".join(["f", *(p[0] for p in peers)]),
              "peak MiB " + " / ".join(["f", *(p[0] for p in peers)])]
    if args.gpu:
        header.append("GPU MiB " + " / ".join(["f", *(p[0] for p in peers)]))
    if peers:
        header.append("ratio f / faster peer: median (range)")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, batch, chosen, ratios in rows:
        gflop = gflop_per_step(name, batch)
        rates = []
        for side in sides:
            rate = gflop / chosen[side]["median_step_ms"] * 1e3
            rates.append(f"{rate:.0f}" + (f" ({rate / peak:.0%})" if peak else ""))
        cells = [
            MODELS[name], str(batch), f"{gflop:.3f}",
            " / ".join(ms(chosen[side]) for side in sides),
            " / ".join(rates),
            " / ".join(f"{chosen[side]['first_step_ms'] / 1e3:.3f} s" for side in sides),
            " / ".join(f"{chosen[side]['peak_rss_mb']:.0f}" for side in sides),
        ]
        if args.gpu:
            cells.append(" / ".join("-" if chosen[s].get("gpu_mb") is None else f"{chosen[s]['gpu_mb']:.0f}"
                                    for s in sides))
        if ratios:
            cells.append(f"**{statistics.median(ratios):.2f}** ({min(ratios):.2f}-{max(ratios):.2f})")
        print("| " + " | ".join(cells) + " |")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({
            "peak_gflops": peak,
            "rows": [{"model": n, "batch": b, "gflop_per_step": gflop_per_step(n, b), "sides": c, "ratios": r}
                     for n, b, c, r in rows],
        }, indent=1))


if __name__ == "__main__":
    main()
