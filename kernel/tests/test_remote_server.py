"""The kernel under a real Jupyter server (jupyter_server, the server behind
JupyterLab, Notebook 7 and JupyterHub's single-user servers), reached the
way a browser reaches a remote or shared server: REST for kernels, a
WebSocket for the messages, a token for access.

The server listens on loopback only; each test starts kernels through its
API, as two students sharing one server would.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

KERNEL = "fireside"
FIRST_CELL_TIMEOUT = 300
CELL_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `jupyter server` subprocess on 127.0.0.1 with a random token."""

    def __init__(self, root: str):
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(root, "server.log"), "w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter_server",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.open_browser=False",
                f"--ServerApp.root_dir={root}",
                # Containers and CI machines often run as root.
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            env={**os.environ, "JUPYTER_RUNTIME_DIR": os.path.join(root, "runtime")},
            # As JupyterHub starts a student's server: no terminal.
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get("/api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"jupyter server did not start; see {self.log.name}")
                time.sleep(0.3)

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"token {self.token if token is None else token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(str(tmp_path_factory.mktemp("jupyter-root")))
    yield server
    for kernel in server.get("/api/kernels"):
        server.request("DELETE", f"/api/kernels/{kernel['id']}")
    server.stop()


class Session:
    """One browser tab's connection to a kernel: its WebSocket channels."""

    def __init__(self, server: Server, kernel_id: str):
        self.server, self.kernel_id = server, kernel_id
        self.session = uuid.uuid4().hex

    async def connect(self):
        url = (
            f"ws://127.0.0.1:{self.server.port}/api/kernels/{self.kernel_id}/channels"
            f"?session_id={self.session}"
        )
        request = HTTPRequest(url, headers={"Authorization": f"token {self.server.token}"})
        self.ws = await websocket_connect(request)
        return self

    async def execute(self, code: str, timeout: float = CELL_TIMEOUT, on_message=None) -> dict:
        """Sends a cell; returns its reply and iopub messages once it is idle.
        `on_message(msg)` is called on each of its iopub messages."""
        msg_id = uuid.uuid4().hex
        message = {
            "header": {
                "msg_id": msg_id, "msg_type": "execute_request", "username": "student",
                "session": self.session, "date": "", "version": "5.3",
            },
            "parent_header": {},
            "metadata": {},
            "content": {
                "code": code, "silent": False, "store_history": True,
                "user_expressions": {}, "allow_stdin": False, "stop_on_error": True,
            },
            "channel": "shell",
            "buffers": [],
        }
        await self.ws.write_message(json.dumps(message))
        reply, iopub, idle = None, [], False
        deadline = time.monotonic() + timeout
        while reply is None or not idle:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no reply within {timeout} s: {[m['msg_type'] for m in iopub]}"
            raw = await asyncio.wait_for(self.ws.read_message(), remaining)
            assert raw is not None, "the server closed the WebSocket"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell":
                reply = msg
            elif msg["channel"] == "iopub":
                iopub.append(msg)
                if on_message:
                    on_message(msg)
                idle = msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
        return {"reply": reply["content"], "iopub": iopub}

    def close(self):
        self.ws.close()


def text_of(result: dict) -> str:
    """stdout, stderr and the plain-text results of a cell, joined."""
    parts = []
    for msg in result["iopub"]:
        if msg["msg_type"] == "stream":
            parts.append(msg["content"]["text"])
        elif msg["msg_type"] in ("execute_result", "display_data"):
            parts.append(msg["content"]["data"].get("text/plain", ""))
        elif msg["msg_type"] == "error":
            parts.append(msg["content"]["ename"] + ": " + msg["content"]["evalue"])
    return "".join(parts)


def start_kernel(server: Server) -> str:
    kernel = server.request("POST", "/api/kernels", {"name": KERNEL})
    assert kernel["name"] == KERNEL
    return kernel["id"]


def test_the_server_lists_the_kernelspec_and_refuses_requests_without_its_token(server):
    specs = server.get("/api/kernelspecs")["kernelspecs"]
    assert KERNEL in specs, f"kernelspecs: {list(specs)}"
    spec = specs[KERNEL]["spec"]
    assert spec["language"] == "rust" and "fireside" in spec["display_name"].lower()
    with pytest.raises(urllib.error.HTTPError) as refused:
        server.get("/api/kernels", token="not-the-token")
    assert refused.value.code == 403


def test_two_users_on_one_server_each_get_their_own_kernel(server):
    """Two notebooks (two students) at once: each kernel has the toolkit, its
    own variables, and answers over the WebSocket with rich output."""

    async def scenario():
        alice = await Session(server, start_kernel(server)).connect()
        bob = await Session(server, start_kernel(server)).connect()
        first_a, first_b = await asyncio.gather(
            alice.execute('let owner = "alice"; let d = Dense::new(4).build(3, &device()); d.shape()',
                          FIRST_CELL_TIMEOUT),
            bob.execute('let owner = "bob"; fireside::device::info().backend.to_string()', FIRST_CELL_TIMEOUT),
        )
        assert first_a["reply"]["status"] == "ok", text_of(first_a)
        assert "(3, 4)" in text_of(first_a)
        assert first_b["reply"]["status"] == "ok", text_of(first_b)
        assert "flex" in text_of(first_b) or "wgpu" in text_of(first_b)

        # Each kernel keeps its own state.
        a, b = await alice.execute("owner"), await bob.execute("owner")
        assert '"alice"' in text_of(a) and '"bob"' in text_of(b), (text_of(a), text_of(b))

        # A plot travels to the browser as an image, not as text.
        plot = await alice.execute('Plot::new("remote").curve("y", &[1.0, 4.0, 9.0])')
        results = [m for m in plot["iopub"] if m["msg_type"] in ("execute_result", "display_data")]
        assert results and any(k.startswith("image/") for k in results[0]["content"]["data"]), plot
        alice.close()
        bob.close()

    asyncio.run(scenario())
    running = server.get("/api/kernels")
    assert len(running) == 2
    for kernel in running:  # the students close their notebooks
        server.request("DELETE", f"/api/kernels/{kernel['id']}")
    assert server.get("/api/kernels") == []


def test_interrupt_and_shutdown_through_the_rest_api(server):
    """The toolbar's Interrupt and Shut Down go through REST on a remote
    server; the kernel keeps its variables after an interrupt."""
    kernel_id = start_kernel(server)

    async def scenario():
        session = await Session(server, kernel_id).connect()
        warm = await session.execute("let kept = 41;", FIRST_CELL_TIMEOUT)
        assert warm["reply"]["status"] == "ok", text_of(warm)
        loop = asyncio.get_running_loop()
        interrupt_sent = []

        def interrupt_once_started(msg):
            if not interrupt_sent and msg["msg_type"] == "stream" and "started" in msg["content"]["text"]:
                interrupt_sent.append(
                    loop.run_in_executor(None, server.request, "POST", f"/api/kernels/{kernel_id}/interrupt")
                )

        busy = asyncio.ensure_future(
            session.execute(
                'println!("started");\n'
                "while !fireside::interrupted() { std::thread::sleep(std::time::Duration::from_millis(5)); }",
                on_message=interrupt_once_started,
            )
        )
        interrupted = await busy
        await interrupt_sent[0]
        assert interrupted["reply"].get("ename") == "KeyboardInterrupt", text_of(interrupted)
        after = await session.execute("kept + 1")
        assert after["reply"]["status"] == "ok" and "42" in text_of(after), text_of(after)
        session.close()

    asyncio.run(scenario())
    server.request("DELETE", f"/api/kernels/{kernel_id}")
    assert kernel_id not in [k["id"] for k in server.get("/api/kernels")]


def kernel_process(kernel_id: str) -> int:
    """The pid of the kernel whose connection file names `kernel_id`."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read()
            except OSError:
                continue
            if b"fireside\0kernel" in cmdline and f"kernel-{kernel_id}.json".encode() in cmdline:
                return int(entry)
    raise AssertionError(f"no process for kernel {kernel_id}")


def test_a_server_that_exits_without_shutting_its_kernel_down_takes_it_along(tmp_path):
    """jupyter_server stopped by SIGINT without a terminal (as JupyterHub
    stops a student's server) exits at once and does not shut its kernels
    down. The kernel notices that its server is gone, as ipykernel does, and
    exits cleanly: no process and no private directory are left behind."""
    server = Server(str(tmp_path))
    kernel_id = start_kernel(server)

    async def private_dir():
        session = await Session(server, kernel_id).connect()
        result = await session.execute('std::env::var("FIRESIDE_PRIVATE_DIR").unwrap()', FIRST_CELL_TIMEOUT)
        session.close()
        return text_of(result).strip().strip('"')

    try:
        private = asyncio.run(private_dir())
        pid = kernel_process(kernel_id)
        assert os.path.isdir(private), private
        server.process.send_signal(signal.SIGINT)
        server.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and running(pid):
            time.sleep(0.1)
        assert not running(pid), "the kernel outlived the server that started it"
        assert not os.path.exists(private), f"the kernel left {private} behind"
        with open(server.log.name) as log:
            assert "the server that started this kernel has exited" in log.read()
    finally:
        server.stop()


def running(pid: int) -> bool:
    """Whether a process runs (a zombie, not yet reaped, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
