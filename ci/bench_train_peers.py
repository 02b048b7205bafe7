"""The peers' half of ci/bench-train: one benchmark model in Keras 3 + JAX
(CPU) or PyTorch eager (the CPU, or CUDA where there is one), timed exactly
as the fireside half times itself (toolkit/examples/bench_train.rs), and
printed as one JSON line.

    python ci/bench_train_peers.py keras|torch MODEL STEPS BATCH
    python ci/bench_train_peers.py peak     # the CPU's float32 GFLOP/s, from PyTorch's BLAS

Each step is one `train_on_batch` (Keras) or forward+backward+Adam step
with `loss.item()` (PyTorch): both read the loss back, so a step's time
includes all of its work. The steps cycle through POOL random batches.
"""

import json
import os
import resource
import sys
import time

POOL = 4


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def keras_model(name, batch):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import keras
    import numpy as np
    from keras import layers

    keras.utils.set_random_seed(42)
    rng = np.random.default_rng(42)
    classes = [rng.integers(0, 10, size=(batch,)) for _ in range(POOL)]
    def seed_cnn(shape, dropout):
        # Seed A's CNN; the CIFAR version adds Dropout(0.5) before the last layer.
        return keras.Sequential([
            keras.Input(shape),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            *([layers.Dropout(0.5)] if dropout else []),
            layers.Dense(10, activation="softmax"),
        ])

    if name in ("cnn", "cifar"):
        shape = (28, 28, 1) if name == "cnn" else (32, 32, 3)
        model = seed_cnn(shape, dropout=name == "cifar")
        x = [rng.random((batch, *shape), dtype=np.float32) for _ in range(POOL)]
        y, loss = classes, "sparse_categorical_crossentropy"
    elif name == "mlp":
        model = keras.Sequential([
            keras.Input((784,)),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        x = [rng.random((batch, 784), dtype=np.float32) for _ in range(POOL)]
        y, loss = classes, "sparse_categorical_crossentropy"
    elif name == "lstm":
        model = keras.Sequential([
            keras.Input((100,), dtype="int32"),
            layers.Embedding(10000, 64),
            layers.LSTM(64),
            layers.Dense(1, activation="sigmoid"),
        ])
        x = [rng.integers(1, 10000, size=(batch, 100)).astype("int32") for _ in range(POOL)]
        y = [rng.integers(0, 2, size=(batch, 1)).astype("float32") for _ in range(POOL)]
        loss = "binary_crossentropy"
    else:
        sys.exit(f"no benchmark model {name!r}: use cnn, mlp, cifar or lstm")
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])

    def step(i):
        return float(model.train_on_batch(x[i], y[i])[0])

    return step, f"keras {keras.__version__} + jax {__import__('jax').__version__} (CPU)"


def torch_model(name, batch):
    import torch
    from torch import nn

    torch.manual_seed(42)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    classes = [torch.randint(0, 10, (batch,), device=device) for _ in range(POOL)]
    if name == "cnn":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10),
        )
        x = [torch.rand(batch, 1, 28, 28, device=device) for _ in range(POOL)]
    elif name == "mlp":
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        x = [torch.rand(batch, 784, device=device) for _ in range(POOL)]
    elif name == "cifar":
        model = nn.Sequential(
            nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 6 * 6, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10),
        )
        x = [torch.rand(batch, 3, 32, 32, device=device) for _ in range(POOL)]
    elif name == "lstm":
        class Sentiment(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(10000, 64)
                self.lstm = nn.LSTM(64, 64, batch_first=True)
                self.dense = nn.Linear(64, 1)

            def forward(self, tokens):
                _, (h, _) = self.lstm(self.embedding(tokens))
                return self.dense(h[-1])

        model = Sentiment()
        x = [torch.randint(1, 10000, (batch, 100), device=device) for _ in range(POOL)]
    else:
        sys.exit(f"no benchmark model {name!r}: use cnn, mlp, cifar or lstm")
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    if name == "lstm":
        y = [torch.randint(0, 2, (batch, 1), device=device).float() for _ in range(POOL)]
        criterion = nn.BCEWithLogitsLoss()
    else:
        y = classes
        criterion = nn.CrossEntropyLoss()

    def step(i):
        optimizer.zero_grad()
        loss = criterion(model(x[i]), y[i])
        loss.backward()
        optimizer.step()
        return loss.item()

    where = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    return step, f"pytorch {torch.__version__} eager ({where})"


def machine_peak():
    """The best of five 4096 x 4096 float32 products on every core, in GFLOP/s."""
    import torch

    a, b = torch.rand(4096, 4096), torch.rand(4096, 4096)
    a @ b  # the first product sets up the BLAS's threads and buffers
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - started)
    backend = f"pytorch {torch.__version__}, {torch.get_num_threads()} threads"
    print(json.dumps({"gflops": round(2 * 4096**3 / best / 1e9, 1), "backend": backend}))


def main():
    if sys.argv[1:] == ["peak"]:
        return machine_peak()
    peer, name, steps, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    started = time.perf_counter()
    step, description = (keras_model if peer == "keras" else torch_model)(name, batch)
    build_ms = (time.perf_counter() - started) * 1e3
    started = time.perf_counter()
    loss = step(0)
    first_ms = (time.perf_counter() - started) * 1e3
    times = []
    for i in range(steps):
        started = time.perf_counter()
        loss = step((i + 1) % POOL)
        times.append((time.perf_counter() - started) * 1e3)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps({
        "model": name, "backend": description, "batch": batch, "steps": steps,
        "build_ms": round(build_ms, 1), "first_step_ms": round(first_ms, 1),
        "median_step_ms": round(median, 2), "samples_per_s": round(batch / median * 1e3),
        "peak_rss_mb": round(peak_rss_mb()), "loss": round(loss, 4),
    }))


if __name__ == "__main__":
    main()
