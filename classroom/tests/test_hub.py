"""A class on one server: real JupyterHub on 127.0.0.1, its proxy from npm,
classroom/jupyterhub_config.py as a teacher runs it, and five students.

Each student logs in with the class password, gets a token, starts a
JupyterLab server, opens a chapter and runs it to the end, all five at
once, as a class does when the teacher says "run all". CI runs chapter 09,
which trains a model in seconds; `FIRESIDE_HUB_CHAPTER=05-cnn-mnist.ipynb`
runs the heaviest chapter (about four minutes for the class). The test then
checks what a class relies on: each kernel keeps its own variables, one
prebuilt build of burn serves every kernel, one student's interrupt and
restart leave the others alone, and wrong credentials are refused. It
measures each kernel's peak memory and the whole class's, for the README.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from conftest import (
    CLASSROOM, KERNEL, REPO, VENV_BIN, free_port, require, require_module, require_program, wait_until,
)

STUDENTS = [f"student{i}" for i in range(1, 6)]
CHAPTER = os.environ.get("FIRESIDE_HUB_CHAPTER", "09-attention.ipynb")
FIRST_CELL_TIMEOUT = 300
# Five kernels share two cores while they train.
CELL_TIMEOUT = 600
GIB = 1 << 30
# What the whole machine of the README's estimate has, and what it keeps for
# the system and the teacher.
MACHINE_BYTES = 24 * GIB
SYSTEM_RESERVE_BYTES = 2 * GIB


class Hub:
    """`jupyterhub -f classroom/jupyterhub_config.py` on free loopback ports."""

    def __init__(self, state: Path, password: str):
        require_module("jupyterhub", "jupyterhub")
        require_module("requests", "requests (JupyterHub's own dependency)")
        require_module("jupyterlab", "jupyterlab")
        require_program("node", "Node.js 20 or newer (the proxy runs on it)")
        require_program(CLASSROOM / "node_modules" / ".bin" / "configurable-http-proxy",
                        "configurable-http-proxy from npm (`npm ci` in classroom/)")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.homes = state / "homes"
        self.log = open(state / "jupyterhub.log", "w")
        env = {
            **os.environ,
            "FIRESIDE_HUB_PORT": str(self.port),
            "FIRESIDE_HUB_STATE": str(state),
            "FIRESIDE_HUB_HOMES": str(self.homes),
            "FIRESIDE_CLASS_PASSWORD": password,
            # The chapters' CI length unless told otherwise: five full runs would take an hour.
            "FIRESIDE_PROFILE": os.environ.get("FIRESIDE_PROFILE", "ci"),
        }
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "jupyterhub"), "-f", str(CLASSROOM / "jupyterhub_config.py"),
                f"--JupyterHub.hub_port={free_port()}",
                f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}",
            ],
            cwd=state, env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
        )
        import requests

        def healthy():
            assert self.process.poll() is None, f"JupyterHub exited; see {self.log.name}"
            return requests.get(self.base + "/hub/health", timeout=5).ok

        wait_until(healthy, 90, f"JupyterHub did not answer on {self.base} (see {self.log.name})")

    def stop(self):
        self.process.terminate()  # the hub stops the servers it spawned
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Student:
    """A student's browser: the hub's login form, then a token for the API."""

    def __init__(self, hub: Hub, name: str):
        import requests

        self.hub, self.name = hub, name
        self.http = requests.Session()  # the browser, with the hub's login cookie
        self.api_http = requests.Session()  # API calls: the token alone authorizes them
        self.token: str | None = None

    def log_in(self, password: str) -> int:
        """The login form, as a browser posts it: 302 where the hub let us in."""
        self.http.get(self.hub.base + "/hub/login", timeout=30)
        response = self.http.post(
            self.hub.base + "/hub/login",
            data={"username": self.name, "password": password, "_xsrf": self.http.cookies.get("_xsrf", "")},
            allow_redirects=False, timeout=60,
        )
        if response.status_code == 302:
            assert "jupyterhub-session-id" in self.http.cookies, "logged in without a session"
        return response.status_code

    def request_token(self):
        """The hub's token page: a token for this student's own server."""
        response = self.http.post(
            f"{self.hub.base}/hub/api/users/{self.name}/tokens",
            json={"note": "classroom test", "expires_in": 3600},
            headers={"X-XSRFToken": self.http.cookies.get("_xsrf", "")}, timeout=30,
        )
        assert response.status_code == 201, (response.status_code, response.text)
        self.token = response.json()["token"]

    def api(self, method: str, path: str, token: str | None = None, **kwargs):
        """A request with a token (this student's unless given), without cookies."""
        headers = {"Authorization": f"token {token or self.token}"}
        return self.api_http.request(method, self.hub.base + path, headers=headers, timeout=120, **kwargs)

    def start_server(self):
        response = self.api("POST", f"/hub/api/users/{self.name}/server")
        assert response.status_code in (201, 202), (response.status_code, response.text)
        wait_until(
            lambda: self.api("GET", f"/hub/api/users/{self.name}").json()["servers"].get("", {}).get("ready"),
            180, f"{self.name}'s JupyterLab server did not start",
        )

    def open_notebook(self, path: str) -> dict:
        """What JupyterLab does when a notebook is opened: a session with a kernel."""
        response = self.api("POST", f"/user/{self.name}/api/sessions",
                            json={"path": path, "type": "notebook", "name": path, "kernel": {"name": KERNEL}})
        assert response.status_code == 201, (response.status_code, response.text)
        return response.json()

    def read_notebook(self, path: str) -> dict:
        response = self.api("GET", f"/user/{self.name}/api/contents/{path}")
        assert response.ok, (response.status_code, response.text)
        return response.json()["content"]

    async def connect(self, kernel_id: str) -> Channels:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = f"ws://127.0.0.1:{self.hub.port}/user/{self.name}/api/kernels/{kernel_id}/channels"
        ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {self.token}"}))
        return Channels(ws, self.name)


class Channels:
    """One notebook's WebSocket to its kernel."""

    def __init__(self, ws, user: str):
        self.ws, self.user, self.session = ws, user, uuid.uuid4().hex

    async def execute(self, code: str, timeout: float = CELL_TIMEOUT, on_message=None) -> dict:
        msg_id = uuid.uuid4().hex
        await self.ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.user,
                       "session": self.session, "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        reply, iopub, idle = None, [], False
        deadline = time.monotonic() + timeout
        while reply is None or not idle:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{self.user}: no reply within {timeout} s to {code[:80]!r}"
            raw = await asyncio.wait_for(self.ws.read_message(), remaining)
            assert raw is not None, f"{self.user}: the server closed the WebSocket"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell":
                reply = msg["content"]
            elif msg["channel"] == "iopub":
                iopub.append(msg)
                if on_message:
                    on_message(msg)
                idle = msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"
        return {"reply": reply, "iopub": iopub, "text": text_of(iopub)}

    def close(self):
        self.ws.close()


def text_of(iopub: list[dict]) -> str:
    parts = []
    for msg in iopub:
        content = msg["content"]
        if msg["msg_type"] == "stream":
            parts.append(content["text"])
        elif msg["msg_type"] in ("execute_result", "display_data"):
            parts.append(content["data"].get("text/plain", ""))
        elif msg["msg_type"] == "error":
            parts.append(f"{content['ename']}: {content['evalue']}")
    return "".join(parts)


class MemorySampler(threading.Thread):
    """Samples, twice a second, the memory of each student's processes (found
    by JUPYTERHUB_USER in their environment) and of the hub and its proxy.

    A process's share is its PSS: pages shared with others (the toolkit's
    libraries, mapped by every kernel) count once across the class. A
    student's kernel is every process of theirs but the JupyterLab server:
    the kernel, its Rust process and the compilers of its cells."""

    def __init__(self, hub_pid: int):
        super().__init__(daemon=True)
        self.hub_pid, self.stopped = hub_pid, threading.Event()
        self.kernel_peak = {s: 0 for s in STUDENTS}
        self.kernel_rss_peak = {s: 0 for s in STUDENTS}
        self.server_peak = {s: 0 for s in STUDENTS}
        self.class_peak = 0
        self.hub_peak = 0
        self.samples = 0
        self.error: BaseException | None = None

    @staticmethod
    def read(pid: int) -> tuple[str | None, bool, int, int]:
        """(JUPYTERHUB_USER, is the JupyterLab server, PSS, RSS) of a process."""
        proc = Path("/proc") / str(pid)
        environ = (proc / "environ").read_bytes().split(b"\0")
        user = next((e[16:].decode() for e in environ if e.startswith(b"JUPYTERHUB_USER=")), None)
        server = b"jupyterhub-singleuser" in (proc / "cmdline").read_bytes()
        pss = rss = 0
        for line in (proc / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
            elif line.startswith("Rss:"):
                rss = int(line.split()[1]) * 1024
        return user, server, pss, rss

    def hub_family(self) -> set[int]:
        """The hub and its direct children without a student (the proxy)."""
        family = {self.hub_pid}
        for line in Path(f"/proc/{self.hub_pid}/task/{self.hub_pid}/children").read_text().split():
            family.add(int(line))
        return family

    def run(self):
        try:
            self.sample_until_stopped()
        except BaseException as error:  # noqa: BLE001 (reported by check())
            self.error = error

    def check(self):
        assert self.error is None, f"the memory sampler failed: {self.error!r}"
        assert self.samples > 0 and all(self.kernel_peak.values()), "no kernel's memory was sampled"

    def sample_until_stopped(self):
        while not self.stopped.wait(0.5):
            kernels = {s: 0 for s in STUDENTS}
            kernels_rss = {s: 0 for s in STUDENTS}
            servers = {s: 0 for s in STUDENTS}
            total = hub = 0
            family = self.hub_family()
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    user, server, pss, rss = self.read(int(entry.name))
                except (OSError, ValueError):
                    continue  # gone, or not ours
                if user in kernels:
                    if server:
                        servers[user] += pss
                    else:
                        kernels[user] += pss
                        kernels_rss[user] += rss
                    total += pss
                elif int(entry.name) in family:
                    hub += pss
                    total += pss
            for s in STUDENTS:
                self.kernel_peak[s] = max(self.kernel_peak[s], kernels[s])
                self.kernel_rss_peak[s] = max(self.kernel_rss_peak[s], kernels_rss[s])
                self.server_peak[s] = max(self.server_peak[s], servers[s])
            self.hub_peak = max(self.hub_peak, hub)
            self.class_peak = max(self.class_peak, total)
            self.samples += 1

    def report(self) -> dict:
        per_student = max(self.kernel_peak[s] + self.server_peak[s] for s in STUDENTS)
        fit = (MACHINE_BYTES - SYSTEM_RESERVE_BYTES - self.hub_peak) // per_student
        return {
            "students": len(STUDENTS),
            "chapter": CHAPTER,
            "kernel_peak_pss_mib": {s: round(v / 2**20) for s, v in self.kernel_peak.items()},
            "kernel_peak_rss_mib": {s: round(v / 2**20) for s, v in self.kernel_rss_peak.items()},
            "jupyterlab_server_peak_pss_mib": {s: round(v / 2**20) for s, v in self.server_peak.items()},
            "hub_and_proxy_peak_pss_mib": round(self.hub_peak / 2**20),
            "class_peak_pss_mib": round(self.class_peak / 2**20),
            "largest_student_peak_pss_mib": round(per_student / 2**20),
            "students_on_24_gib": int(fit),
            "estimate": "(24 GiB - 2 GiB for the system - the hub's peak) / the largest student's peak "
                        "(kernel + JupyterLab server, PSS)",
        }


def template_libraries() -> dict[str, tuple[int, int]]:
    """The prebuilt template's compiled libraries: name -> (inode, mtime)."""
    deps = next((REPO / ".venv" / "share" / "fireside" / "template" / "cell" / "target").glob("*/debug/deps"), None)
    require("The prebuilt template", deps is not None, "the kernel: run `bash ci/setup`")
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in deps.iterdir()
            if p.name.startswith("lib") and p.suffix in (".rlib", ".so", ".rmeta")}


def private_copies_share_the_template(template: dict[str, tuple[int, int]]) -> list[str]:
    """Each running kernel's private directory; fails where one holds a burn
    library that is not the template's own file (a rebuild of burn)."""
    kernels = REPO / ".venv" / "share" / "fireside" / "kernels"
    copies = sorted(p for p in kernels.iterdir() if p.is_dir()) if kernels.exists() else []
    for copy in copies:
        deps = next((copy / "cell" / "target").glob("*/debug/deps"), None)
        assert deps is not None, f"{copy} has no compiled dependencies"
        libraries = list(deps.glob("libburn*"))
        assert libraries, f"{copy} has no burn libraries"
        for library in libraries:
            assert library.name in template, f"{copy.name} compiled {library.name}, which the template lacks"
            assert library.stat().st_ino == template[library.name][0], (
                f"{copy.name}'s {library.name} is its own file, not the template's: burn was rebuilt"
            )
    return [c.name for c in copies]


async def run_chapter(student: Student, cells: list[str]) -> tuple[Channels, str]:
    """Opens the chapter and runs its code cells in order, stopping at an error."""
    session = await asyncio.to_thread(student.open_notebook, CHAPTER)
    channels = await student.connect(session["kernel"]["id"])
    for number, code in enumerate(cells, 1):
        result = await channels.execute(code, FIRST_CELL_TIMEOUT if number == 1 else CELL_TIMEOUT)
        assert result["reply"]["status"] == "ok", (
            f"{student.name}: cell {number} of {CHAPTER} failed:\n{result['text'][-2000:]}"
        )
    return channels, session["kernel"]["id"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    password = secrets.token_urlsafe(12)
    hub = Hub(tmp_path_factory.mktemp("hub"), password)
    hub.password = password
    yield hub
    hub.stop()
    # The hub stops each server with SIGINT, and a server without a terminal
    # exits without shutting its kernels down: each kernel must notice and go.
    deadline = time.monotonic() + 15
    while any(kernel_pids().values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(kernel_pids().values()), f"kernels outlived the hub: {kernel_pids()}"


@pytest.mark.timeout(600)
def test_five_students_run_a_chapter_at_once_on_one_hub(hub, artifacts):
    require("the chapter", (REPO / "tutorials" / CHAPTER).exists(), "a checkout with tutorials/")

    template_before = template_libraries()
    students = [Student(hub, name) for name in STUDENTS]

    # Wrong credentials first: a wrong password, a made-up token, and one
    # student's token on another's server.
    intruder = Student(hub, "student1")
    refused = intruder.log_in("not-the-class-password")
    assert refused == 403, f"a wrong password got {refused}, not 403"

    async def class_session():
        logged_in = await asyncio.gather(*(asyncio.to_thread(s.log_in, hub.password) for s in students))
        assert logged_in == [302] * len(students), dict(zip(STUDENTS, logged_in))
        for student in students:
            student.request_token()
        await asyncio.gather(*(asyncio.to_thread(s.start_server) for s in students))

        first, second = students[0], students[1]
        assert first.api("GET", f"/user/{first.name}/api/kernels", token="made-up-token").status_code == 403
        assert first.api("GET", f"/hub/api/users/{first.name}", token="made-up-token").status_code == 403
        assert second.api("GET", f"/user/{first.name}/api/kernels").status_code in (403, 404), \
            "one student's token opened another student's server"

        notebook = await asyncio.to_thread(first.read_notebook, CHAPTER)
        cells = [c["source"] for c in notebook["cells"] if c["cell_type"] == "code"]
        sampler = MemorySampler(hub.process.pid)
        sampler.start()
        started = time.monotonic()
        opened = await asyncio.gather(*(run_chapter(s, cells) for s in students))
        took = time.monotonic() - started
        copies = private_copies_share_the_template(template_before)
        # One per kernel (a directory a killed kernel left is swept later, and counts too).
        assert len(copies) >= len(STUDENTS), f"one private directory per kernel: {copies}"
        sampler.stopped.set()
        sampler.join()
        sampler.check()
        channels = {s.name: c for s, (c, _) in zip(students, opened)}
        kernel_ids = {s.name: k for s, (_, k) in zip(students, opened)}

        # Each kernel has its own variables: its own name, and its own model.
        for name, ch in channels.items():
            result = await ch.execute(f'let owner = "{name}"; owner')
            assert result["reply"]["status"] == "ok", result["text"]
        for name, ch in channels.items():
            result = await ch.execute("owner")
            assert f'"{name}"' in result["text"], (name, result["text"])

        # One student interrupts a long cell while the others compute.
        loop = asyncio.get_running_loop()
        interrupts = []

        def interrupt_when_started(msg):
            if not interrupts and msg["msg_type"] == "stream" and "looping" in msg["content"]["text"]:
                interrupts.append(loop.run_in_executor(
                    None, lambda: first.api("POST", f"/user/{first.name}/api/kernels/{kernel_ids[first.name]}/interrupt")))

        long_cell = channels[first.name].execute(
            'println!("looping");\n'
            "while !fireside::interrupted() { std::thread::sleep(std::time::Duration::from_millis(5)); }",
            on_message=interrupt_when_started,
        )
        others = [channels[s.name].execute("let checked = owner.len() + 1; checked") for s in students[1:]]
        interrupted, *answers = await asyncio.gather(long_cell, *others)
        response = await interrupts[0]
        assert response.status_code == 204, response.text
        assert interrupted["reply"].get("ename") == "KeyboardInterrupt", interrupted["text"]
        for student, answer in zip(students[1:], answers):
            assert answer["reply"]["status"] == "ok", (student.name, answer["text"])
        kept = await channels[first.name].execute("owner")
        assert f'"{first.name}"' in kept["text"], kept["text"]

        # The same student restarts: their variables go, everyone else's stay.
        pids_before = kernel_pids()
        restart = await asyncio.to_thread(
            first.api, "POST", f"/user/{first.name}/api/kernels/{kernel_ids[first.name]}/restart")
        assert restart.status_code == 200, restart.text
        channels[first.name].close()
        channels[first.name] = await first.connect(kernel_ids[first.name])
        gone = await channels[first.name].execute("owner", FIRST_CELL_TIMEOUT)
        assert gone["reply"]["status"] == "error" and "owner" in gone["text"], gone["text"]
        pids_after = kernel_pids()
        for student in students[1:]:
            assert pids_after[student.name] == pids_before[student.name], f"{student.name}'s kernel restarted"
            still = await channels[student.name].execute("owner")
            assert f'"{student.name}"' in still["text"], (student.name, still["text"])
        assert pids_after[first.name] != pids_before[first.name], "the restart did not start a new kernel"
        for ch in channels.values():
            ch.close()
        return sampler, took

    sampler, took = run_in_a_thread(class_session)
    assert template_libraries() == template_before, "the prebuilt template changed while the class ran"
    report = sampler.report() | {"chapter": CHAPTER, "chapter_wall_seconds": round(took)}
    (artifacts / "hub-memory.json").write_text(json.dumps(report, indent=2) + "\n")
    print("\nclass memory:", json.dumps(report, indent=2))


def run_in_a_thread(main):
    """asyncio.run(main()) in a thread of its own: Playwright's browser, when
    another test of the session has started it, runs an event loop in this one."""
    outcome = {}

    def target():
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as error:  # noqa: BLE001 (raised again below)
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def kernel_pids() -> dict[str, set[int]]:
    """Each student's fireside kernel processes."""
    pids: dict[str, set[int]] = {s: set() for s in STUDENTS}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        user = next((e[16:].decode() for e in environ if e.startswith(b"JUPYTERHUB_USER=")), None)
        if user in pids and len(cmdline) > 1 and cmdline[0].endswith(b"fireside") and cmdline[1] == b"kernel":
            pids[user].add(int(entry.name))
    return pids
