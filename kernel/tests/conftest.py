"""Fixtures for testing the installed fireside kernel through jupyter_client,
the way JupyterLab, VS Code and nbconvert talk to it."""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass, field

import pytest
from jupyter_client.manager import start_new_kernel

KERNEL = "fireside"
# The first cell waits for the toolkit to load in the background.
FIRST_CELL_TIMEOUT = 300
CELL_TIMEOUT = 120


@dataclass
class Result:
    """A cell's reply and the iopub messages it caused, in order."""

    reply: dict
    messages: list = field(default_factory=list)

    def __repr__(self) -> str:
        # What a failed assertion shows: the reply and each iopub message, briefly.
        messages = [(m["msg_type"], str(m["content"])[:200]) for m in self.messages]
        return f"Result(reply={self.reply['content']!r}, messages={messages!r})"

    @property
    def status(self) -> str:
        return self.reply["content"]["status"]

    def of_type(self, msg_type: str) -> list:
        return [m for m in self.messages if m["msg_type"] == msg_type]

    @property
    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == "stderr")

    @property
    def result_text(self) -> str | None:
        results = self.of_type("execute_result")
        return results[0]["content"]["data"].get("text/plain") if results else None


def collect(kc, msg_id: str, timeout: float, on_message=None) -> list:
    """iopub messages of one request, up to its `idle` status."""
    messages = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no idle status within {timeout} s; got {[m['msg_type'] for m in messages]}")
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if on_message:
            on_message(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages


def run(kc, code: str, timeout: float = CELL_TIMEOUT, on_message=None, **kwargs) -> Result:
    msg_id = kc.execute(code, **kwargs)
    messages = collect(kc, msg_id, timeout, on_message)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return Result(reply, messages)


def new_kernel():
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=60)
    warm = run(kc, "1", timeout=FIRST_CELL_TIMEOUT)
    if warm.status != "ok":
        # Not left running (with its rust-analyzer in memory) behind a failure.
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert warm.status == "ok", warm.reply["content"]
    return km, kc


@pytest.fixture(scope="module")
def kernel():
    km, kc = new_kernel()
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=False)


@pytest.fixture
def fresh_kernel():
    km, kc = new_kernel()
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=False)
