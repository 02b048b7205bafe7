"""Runs ci/bench-train's models on fireside and on a peer, and prints the table.

Called by ci/bench-train, which builds the fireside half
(toolkit/examples/bench_train.rs, path in FIRESIDE_BENCH_BIN); the peer half
is ci/bench_train_peers.py. Both print one JSON line per model and run.

    python ci/bench_train.py [--steps N] [--runs R] [--models a,b] [--gpu [--batches 64,512]] [--no-peer] [--json FILE]

With --gpu, each process's GPU memory is sampled from nvidia-smi (every
0.1 s, the most used minus what was used before it started), the same way
for both sides; "-" where there is no nvidia-smi.
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
import time

HERE = pathlib.Path(__file__).resolve().parent
MODELS = {
    "cnn": "seed CNN, 28x28x1",
    "mlp": "MLP 784-128-10",
    "cifar": "CIFAR CNN + dropout, 32x32x3",
    "lstm": "Embedding(10000, 64) + LSTM(64), 100 words",
}
# Fewer steps for the slow models keep a CPU run to a few minutes.
DEFAULT_STEPS = {"cnn": 30, "mlp": 200, "cifar": 30, "lstm": 20}


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


def best_of(runs):
    """Of several runs of one side, the one with the median steady step."""
    runs = sorted(runs, key=lambda r: r["median_step_ms"])
    chosen = dict(runs[len(runs) // 2])
    chosen["first_step_ms"] = statistics.median(r["first_step_ms"] for r in runs)
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="steady steps per model (default: per model)")
    parser.add_argument("--runs", type=int, default=1, help="processes per model and side; the median is kept")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--gpu", action="store_true", help="fireside on wgpu against PyTorch eager on CUDA")
    parser.add_argument("--batches", default="64", help="batch sizes, comma-separated (default 64)")
    parser.add_argument("--no-peer", action="store_true", help="fireside only (a machine without the peer)")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()

    fireside_bin = os.environ.get("FIRESIDE_BENCH_BIN")
    if not fireside_bin:
        sys.exit("FIRESIDE_BENCH_BIN is not set: run this through ci/bench-train, which builds it")
    env = dict(os.environ)
    if args.gpu:
        env["FIRESIDE_BACKEND"] = "wgpu"
    peer = "torch" if args.gpu else "keras"

    rows = []
    describe = None
    for name in args.models.split(","):
        if name not in MODELS:
            sys.exit(f"no benchmark model {name!r}: use {', '.join(MODELS)}")
        for batch in [int(b) for b in args.batches.split(",")]:
            steps = str(args.steps or DEFAULT_STEPS[name])
            ours, theirs = [], []
            for _ in range(args.runs):
                figures, stderr = run([fireside_bin, name, steps, str(batch)], env, sample_gpu=args.gpu)
                describe = describe or stderr.strip().splitlines()[:2]
                ours.append(figures)
                if not args.no_peer:
                    peer_command = [sys.executable, str(HERE / "bench_train_peers.py"), peer, name, steps, str(batch)]
                    theirs.append(run(peer_command, sample_gpu=args.gpu)[0])
            ours, theirs = best_of(ours), (best_of(theirs) if theirs else None)
            rows.append((name, batch, ours, theirs))
            print(f"  {name} batch {batch}: fireside {ours['median_step_ms']:.2f} ms, "
                  f"{peer} {theirs['median_step_ms'] if theirs else '-'} ms", file=sys.stderr, flush=True)

    print(f"fireside: {' / '.join(describe or [])}")
    print(f"peer:     {rows[0][3]['backend'] if rows[0][3] else 'none (--no-peer)'}")
    print(f"cores:    {os.cpu_count()}; steps per model: median of the steady steps after the first\n")
    header = ("model", "batch", "first step f / p", "steady ms/step f / p", "samples/s f / p",
              "peak MiB f / p", *(("GPU MiB f / p",) if args.gpu else ()), "ratio f/p")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    def cells(figures):
        """One side's columns, "-" for a side not measured."""
        if figures is None:
            return dict.fromkeys(("first", "step", "rate", "rss", "gpu"), "-")
        gpu = figures.get("gpu_mb")
        return {
            "first": f"{figures['first_step_ms'] / 1e3:.2f} s",
            "step": f"{figures['median_step_ms']:.2f}",
            "rate": f"{figures['samples_per_s']:,}",
            "rss": f"{figures['peak_rss_mb']:.0f}",
            "gpu": "-" if gpu is None else f"{gpu:.0f}",
        }

    for name, batch, ours, theirs in rows:
        f, p = cells(ours), cells(theirs)
        ratio = f"**{ours['median_step_ms'] / theirs['median_step_ms']:.2f}**" if theirs else "-"
        gpu = f"| {f['gpu']} / {p['gpu']} " if args.gpu else ""
        print(
            f"| {MODELS[name]} | {batch} | {f['first']} / {p['first']} | {f['step']} / {p['step']} "
            f"| {f['rate']} / {p['rate']} | {f['rss']} / {p['rss']} {gpu}| {ratio} |"
        )
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            [{"model": n, "batch": b, "fireside": o, "peer": t} for n, b, o, t in rows], indent=1))


if __name__ == "__main__":
    main()
