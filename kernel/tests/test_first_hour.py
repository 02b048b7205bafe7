"""The first hour of a new user: the set-up works on a new machine, a kernel
never compiles burn behind the user's back, and no cell or completion waits
for code analysis.

These run against the kernel that `ci/setup` installed into this Python
environment (sys.prefix/share/fireside)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIRST_CELL_TIMEOUT, run
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager, start_new_kernel

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = Path(sys.prefix) / "share" / "fireside"
TEMPLATE = DATA_DIR / "template"
# What the user's first toolkit cell does: build a layer and use it.
TOOLKIT_CELL = "let layer = Dense::new(4).build(3, &device());\nlayer.num_params()"


def start(kernel_name="fireside", env=None, kernel_dirs=None):
    spec_manager = KernelSpecManager(kernel_dirs=kernel_dirs) if kernel_dirs else None
    km = KernelManager(kernel_name=kernel_name, **({"kernel_spec_manager": spec_manager} if spec_manager else {}))
    km.start_kernel(env=env) if env is not None else km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def crates_io_dir(cargo_home: Path, kind: str) -> Path:
    dirs = sorted((cargo_home / "registry" / kind).glob("index.crates.io-*"))
    assert dirs, f"no crates.io {kind} in {cargo_home}: has ci/setup run?"
    return dirs[0]


def test_the_template_resolves_offline_with_only_what_the_setup_fetched(tmp_path):
    """On a new machine the cargo home holds only what `ci/setup` fetched:
    every package of Cargo.lock (`cargo fetch --locked`). The kernel's
    template must resolve offline (as `cargo metadata`, which evcxr runs,
    does: every platform's packages) against exactly that. A template that
    needs one more crate failed a new user's set-up after 32 minutes."""
    real_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    lock = (REPO / "Cargo.lock").read_text()
    packages = re.findall(
        r'\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"\nsource = "registry\+https://github.com/rust-lang/crates.io-index"',
        lock,
    )
    assert len(packages) > 200, "Cargo.lock lists the registry's packages"

    home = tmp_path / "cargo-home"
    cache, src, index = (crates_io_dir(real_home, kind) for kind in ("cache", "src", "index"))
    for kind, real in (("cache", cache), ("src", src), ("index", index)):
        (home / "registry" / kind / real.name).mkdir(parents=True)
    shutil.copy(index / "config.json", home / "registry" / "index" / index.name / "config.json")
    for name, version in packages:
        crate = f"{name}-{version}"
        os.link(cache / f"{crate}.crate", home / "registry" / "cache" / cache.name / f"{crate}.crate")
        (home / "registry" / "src" / src.name / crate).symlink_to(src / crate)
        # The sparse index's cache: <1 or 2 or 3/first letter or ab/cd>/<name>.
        lower = name.lower()
        prefix = {1: "1", 2: "2", 3: f"3/{lower[0]}"}.get(len(lower), f"{lower[:2]}/{lower[2:4]}")
        entry = index / ".cache" / prefix / lower
        target = home / "registry" / "index" / index.name / ".cache" / prefix / lower
        if entry.exists() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(entry, target)

    # A copy of the template's manifests, so that cargo writes nothing into the installed one.
    workspace = tmp_path / "template"
    for relative in ("Cargo.toml", "Cargo.lock", "anchor/Cargo.toml", "anchor/lib.rs", "cell/Cargo.toml", "cell/src/lib.rs"):
        (workspace / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(TEMPLATE / relative, workspace / relative)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARGO")}
    env["CARGO_HOME"] = str(home)

    def resolve():
        result = subprocess.run(
            ["cargo", "metadata", "--offline", "--format-version", "1", "--manifest-path", str(workspace / "Cargo.toml")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return {package["name"] for package in json.loads(result.stdout)["packages"]}

    assert {"fireside", "burn", "burn-flex"} <= resolve()
    # The template of a machine with a GPU (`fireside install --gpu`) resolves too.
    anchor = workspace / "anchor" / "Cargo.toml"
    manifest = anchor.read_text()
    anchor.write_text(re.sub(r'(fireside = \{ path = "[^"]+")(, features = \[[^]]*\])?', r'\1, features = ["gpu"]', manifest))
    assert 'features = ["gpu"]' in anchor.read_text()
    assert {"fireside", "burn", "wgpu", "cubecl-runtime"} <= resolve()


def test_a_download_that_fails_names_its_step_and_the_fix(tmp_path):
    """The set-up's cargo fetch on a machine without the network (an empty
    cargo home, cargo told it is offline) says which step needed the
    network and what to do, not only cargo's own error."""
    env = {k: v for k, v in os.environ.items() if k != "CARGO_HOME"}
    env.update(CARGO_HOME=str(tmp_path), CARGO_NET_OFFLINE="true")
    result = subprocess.run(
        ["bash", "-c", "source ci/env.sh && fetch_crates"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert 'the step "cargo fetch (crates.io)" needs the network' in result.stderr, result.stderr[-2000:]
    assert "run the same command again" in result.stderr


def test_a_kernel_in_another_environment_reuses_the_template(tmp_path):
    """JupyterHub, JupyterLab and CI start kernels with their own
    environment. Variables that cargo tracks must not make a kernel
    rebuild burn: the first toolkit cell comes at once."""
    env = dict(os.environ)
    env.pop("CI", None) if "CI" in env else env.update(CI="true")
    env.update(
        HOME=str(tmp_path),  # another user's home: no ~/.cargo there
        RUSTFLAGS="-C debuginfo=1",
        CARGO_PROFILE_DEV_OPT_LEVEL="1",
        CARGO_BUILD_JOBS="1",
        CC="cc -O1",
        CFLAGS="-O1",
        RUST_LOG="info",
    )
    km, kc = start(env=env)
    try:
        started = time.monotonic()
        first = run(kc, TOOLKIT_CELL, timeout=FIRST_CELL_TIMEOUT)
        took = time.monotonic() - started
        assert first.status == "ok", first
        assert first.result_text == "16"
        # Measured 2.4-3.3 s on an idle machine and up to 5.3 s inside CI's test
        # run (copying the template's bookkeeping is slower there); a rebuild
        # of burn would take over 20 minutes, and the guard would stop it
        # with an error.
        assert took < 10, f"the first toolkit cell took {took:.1f} s: the template was rebuilt ({first.stderr[-500:]})"
    finally:
        stop(km, kc)


def template_copy(source: Path, target: Path):
    """A copy of a template that shares compiled artifacts as hard links
    (rustc replaces those) and copies cargo's bookkeeping, which cargo
    rewrites in place: it empties the fingerprints of every unit it finds
    dirty, which would spoil the installed template through a link."""

    def copy(src, dst):
        if "/deps/" in src:
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=copy, symlinks=True)


def test_a_stale_template_is_reported_and_never_rebuilt(tmp_path):
    """A template whose burn would have to be compiled again (here: one
    fingerprint removed) makes the kernel stop cargo at once and say, in
    the first cell, what happened and how to fix it."""
    data_dir = tmp_path / "fireside"
    data_dir.mkdir()
    template_copy(TEMPLATE, data_dir / "template")
    fingerprints = sorted((data_dir / "template").glob("cell/target/*/debug/.fingerprint/burn-tensor-*"))
    assert fingerprints, "the template has burn-tensor's fingerprint"
    for fingerprint in fingerprints:
        shutil.rmtree(fingerprint)

    spec = json.loads((Path(sys.prefix) / "share/jupyter/kernels/fireside/kernel.json").read_text())
    argv = spec["argv"]
    argv[argv.index("--data-dir") + 1] = str(data_dir)
    spec_dir = tmp_path / "kernels" / "fireside-stale"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({**spec, "argv": argv}))

    km, kc = start("fireside-stale", kernel_dirs=[str(tmp_path / "kernels")])
    try:
        started = time.monotonic()
        first = run(kc, TOOLKIT_CELL, timeout=FIRST_CELL_TIMEOUT)
        assert first.status == "error", first
        content = first.reply["content"]
        text = content["evalue"] + "\n".join(content["traceback"])
        assert "out of date" in text and "burn-tensor" in text and "fireside install" in text, text
        assert time.monotonic() - started < 60, "cargo was stopped as soon as it began compiling burn"
        # The kernel still answers.
        assert run(kc, "1 + 1").status == "error"
    finally:
        stop(km, kc)
    leftovers = list((data_dir / "kernels").glob("*")) if (data_dir / "kernels").exists() else []
    assert leftovers == [], f"the kernel left its private directory behind: {leftovers}"


def test_doctor_names_the_backends_and_finds_no_problem():
    """`fireside doctor`, what a teacher runs on a student's set-up, says
    which backends the installed toolkit has (the GPU one only where the
    set-up built it) and which device a test kernel chose, and finds no
    problem on a set-up that works."""
    features = json.loads((TEMPLATE / "fireside-template.json").read_text()).get("toolkit_features", [])
    result = subprocess.run(
        [str(DATA_DIR / "bin" / "fireside"), "doctor", "--prefix", sys.prefix],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    expected = "wgpu (GPU) and flex (CPU)" if "gpu" in features else "flex (CPU); built without the GPU backend"
    assert re.search(rf"^backends\s+{re.escape(expected)}$", result.stdout, re.M), result.stdout
    assert re.search(r"^\s+backend: (flex|wgpu)", result.stdout, re.M), result.stdout
    assert "No problems found." in result.stdout


def test_no_cell_or_completion_waits_for_code_analysis():
    """In a new kernel, rust-analyzer needs about half a minute before its
    first answer. A cell that uses an earlier cell's variable must not wait
    for it (the compiler names the type), and a completion is answered
    within a second from the names known without analysis."""
    km, kc = start_new_kernel(kernel_name="fireside", startup_timeout=60)
    try:
        first = run(kc, "let model = Sequential::new().add(Dense::new(8).input_shape([4]))?;\nlet rates = vec![0.1, 0.01];", timeout=FIRST_CELL_TIMEOUT)
        assert first.status == "ok", first

        started = time.monotonic()
        second = run(kc, "model.num_params() as f64 * rates[0]")
        took = time.monotonic() - started
        assert second.status == "ok", second
        assert second.result_text == "4.0"
        assert took < 2, f"the cell that used the first cell's variables took {took:.1f} s"

        for code, expected in (("mod", "model"), ("rat", "rates"), ("Den", "Dense")):
            started = time.monotonic()
            kc.complete(code, len(code))
            reply = kc.get_shell_msg(timeout=30)
            took = time.monotonic() - started
            assert expected in reply["content"]["matches"], (code, reply["content"])
            assert took < 1, f"completing {code!r} took {took:.2f} s"
    finally:
        stop(km, kc)


def test_types_are_named_by_the_compiler_not_rust_analyzer(fresh_kernel):
    """In a new kernel (rust-analyzer still loading), variables of types
    from std, the toolkit and the data sets, in scope or not, are usable in
    the next cell at once: rustc's diagnostics name their types."""
    _, kc = fresh_kernel
    cells = [
        ("let mnist = fireside::datasets::Mnist::load()?;", "mnist.train.len() > 0", "true"),
        ("let it = vec![1, 2].into_iter();", "it.len()", "2"),
        ("let h = std::collections::HashMap::<i32, f32>::new();", "h.len()", "0"),
        ("let pair = (1u8, String::from(\"x\"));", "pair.1.len()", "1"),
        ("let t = Tensor::<2>::zeros([2, 3], &device());", "t.dims()", "[2, 3]"),
    ]
    for define, use, expected in cells:
        assert run(kc, define).status == "ok", define
        started = time.monotonic()
        used = run(kc, use)
        took = time.monotonic() - started
        assert used.status == "ok", used
        assert used.result_text == expected, used
        assert took < 2, f"{use!r} took {took:.1f} s"


README_SECTION = "## Quick start"


def readme_cells() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split(README_SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```rust\n(.*?)```", section, re.S)


def test_the_readme_quick_start_trains_a_model(kernel):
    """The README's quick start, cell by cell, as a new user types it."""
    cells = readme_cells()
    assert len(cells) >= 3, "the quick start has its cells"
    for cell in cells:
        result = run(kernel, cell, timeout=600)
        assert result.status == "ok", (cell, result)
    accuracy = run(kernel, "test.accuracy.unwrap()")
    assert accuracy.status == "ok", accuracy
    # Measured 0.918-0.923 on the shipped digits (two fresh kernels).
    assert float(accuracy.result_text) > 0.9, accuracy.result_text
