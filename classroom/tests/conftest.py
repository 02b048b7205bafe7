"""What the classroom tests share: where things are, free ports, the
installed kernel, the browser, and a clear failure when a part is missing.

A part that is missing fails its test with the package to install and the
command that installs it (`bash ci/setup-classroom`); nothing is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLASSROOM = REPO / "classroom"
OUT = Path(os.environ.get("FIRESIDE_OUT", REPO / "out"))
VENV_BIN = REPO / ".venv" / "bin"
KERNEL = "fireside"
KERNEL_DISPLAY_NAME = "Rust (fireside)"
CHROMIUM = os.environ.get("FIRESIDE_CHROMIUM", "/usr/bin/chromium")
# Flags for a browser on a machine without a display or outside network:
# no sandbox (CI runs as root), no GPU, and none of Chromium's background
# connections, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]


def require(what: str, present: bool, package: str) -> None:
    """Fails with the missing package's name and how to install it."""
    if not present:
        pytest.fail(
            f"{what} is missing: install {package}. `bash ci/setup-classroom` (after `bash ci/setup`) "
            f"installs everything the classroom tests need.",
            pytrace=False,
        )


def require_module(module: str, package: str) -> None:
    require(f"the Python module {module}", importlib.util.find_spec(module) is not None,
            f"{package} from PyPI (ci/requirements-classroom.txt)")


def require_program(path: Path | str, package: str) -> str:
    found = shutil.which(str(path))
    require(str(path), found is not None, package)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.3):
    """Polls `condition` until it returns a true value, which it returns."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 (not up yet)
            last = error
        else:
            last = None
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s" + (f" (last error: {last})" if last else ""))
        time.sleep(interval)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """out/classroom: the screenshots and figures CI keeps."""
    folder = OUT / "classroom"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    require_module("playwright", "playwright")
    require("Chromium", os.access(CHROMIUM, os.X_OK), "Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
