"""Every incoming message must carry a valid HMAC signature; others are
dropped and the kernel keeps serving."""

import json
import os
import queue
import socket
import threading
import time

import zmq
from jupyter_client.session import Session

from conftest import collect, run


def shell_socket(km):
    info = km.get_connection_info()
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.linger = 0
    socket.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
    return socket


def replies(socket, session, timeout_ms):
    if not socket.poll(timeout_ms):
        return []
    _, frames = session.feed_identities(socket.recv_multipart())
    return [session.deserialize(frames)]


def assert_still_answers(socket, session):
    session.send(socket, "kernel_info_request", {})
    answer = replies(socket, session, 10000)
    assert answer and answer[0]["msg_type"] == "kernel_info_reply", "the kernel keeps serving"


def test_a_message_with_a_bad_signature_is_dropped(fresh_kernel):
    km, _ = fresh_kernel
    key = km.session.key
    good = Session(key=key, signature_scheme="hmac-sha256")
    forged = Session(key=b"not-the-key", signature_scheme="hmac-sha256")
    socket = shell_socket(km)
    forged.send(socket, "execute_request", {"code": 'panic!("must not run")', "silent": False})
    forged.send(socket, "kernel_info_request", {})
    assert replies(socket, good, 3000) == [], "a forged request got an answer"

    assert_still_answers(socket, good)


def test_a_message_without_a_signature_is_dropped(fresh_kernel):
    km, _ = fresh_kernel
    good = Session(key=km.session.key, signature_scheme="hmac-sha256")
    unsigned = Session(key=b"", signature_scheme="hmac-sha256")
    socket = shell_socket(km)
    unsigned.send(socket, "kernel_info_request", {})
    assert replies(socket, good, 3000) == []
    assert_still_answers(socket, good)


def send_raw(socket, session, header, parent=b"{}", metadata=b"{}", content=b"{}"):
    """Frames signed with the right key, whatever their JSON says."""
    parts = [header, parent, metadata, content]
    socket.send_multipart([b"<IDS|MSG>", session.sign(parts), *parts])


def header_of(session, msg_type):
    return json.dumps(session.msg_header(msg_type), default=str).encode()


def test_a_signed_request_with_unreadable_content_gets_an_error_reply(fresh_kernel):
    # It used to get no reply at all, so the client waited forever.
    km, _ = fresh_kernel
    good = Session(key=km.session.key, signature_scheme="hmac-sha256")
    socket = shell_socket(km)
    send_raw(socket, good, header_of(good, "execute_request"), content=b"{not json")
    answer = replies(socket, good, 10000)
    assert answer and answer[0]["msg_type"] == "execute_reply"
    assert answer[0]["content"]["status"] == "error"
    assert "not valid JSON" in answer[0]["content"]["evalue"]
    # An execute_reply carries the execution count, whatever its status:
    # one cell ran (the fixture's warm-up), and this one did not count.
    assert answer[0]["content"]["execution_count"] == 1

    send_raw(socket, good, header_of(good, "is_complete_request"), metadata=b"[unclosed")
    answer = replies(socket, good, 10000)
    assert answer and answer[0]["msg_type"] == "is_complete_reply"
    assert answer[0]["content"]["status"] == "error"
    assert "metadata" in answer[0]["content"]["evalue"]


def test_malformed_messages_are_dropped_and_the_kernel_keeps_serving(fresh_kernel):
    km, _ = fresh_kernel
    good = Session(key=km.session.key, signature_scheme="hmac-sha256")
    socket = shell_socket(km)
    # A header without msg_type, an unreadable header, too few frames, no delimiter.
    send_raw(socket, good, json.dumps({"msg_id": "x1"}).encode())
    send_raw(socket, good, b"[not a header")
    socket.send_multipart([b"<IDS|MSG>", b"", b"{}"])
    socket.send_multipart([b"just one frame"])
    assert replies(socket, good, 2000) == []
    assert_still_answers(socket, good)


def test_a_replayed_message_is_refused(fresh_kernel):
    # jupyter_client keeps the signatures it saw (digest_history); so does fireside.
    km, _ = fresh_kernel
    good = Session(key=km.session.key, signature_scheme="hmac-sha256")
    socket = shell_socket(km)
    header = header_of(good, "kernel_info_request")
    send_raw(socket, good, header)
    assert replies(socket, good, 10000), "the first copy is answered"
    send_raw(socket, good, header)
    assert replies(socket, good, 2000) == [], "a copy of a message already received is refused"


def test_a_forged_shutdown_on_the_control_channel_is_ignored(fresh_kernel):
    km, kc = fresh_kernel
    info = km.get_connection_info()
    control = zmq.Context.instance().socket(zmq.DEALER)
    control.linger = 0
    control.connect(f"{info['transport']}://{info['ip']}:{info['control_port']}")
    forged = Session(key=b"not-the-key", signature_scheme="hmac-sha256")
    forged.send(control, "shutdown_request", {"restart": False})
    time.sleep(2)
    assert km.is_alive()
    assert run(kc, "1 + 1").result_text == "2"


def test_a_forged_input_reply_is_ignored(fresh_kernel):
    km, kc = fresh_kernel
    info = km.get_connection_info()
    msg_id = kc.execute('let name = fireside::input("name? ");\nname', allow_stdin=True)
    request = kc.get_stdin_msg(timeout=120)
    assert request["msg_type"] == "input_request"
    forger = zmq.Context.instance().socket(zmq.DEALER)
    forger.linger = 0
    forger.connect(f"{info['transport']}://{info['ip']}:{info['stdin_port']}")
    forged = Session(key=b"not-the-key", signature_scheme="hmac-sha256")
    forged.send(forger, "input_reply", {"value": "forged"}, parent=request)
    time.sleep(1)
    kc.input("genuine")
    collect(kc, msg_id, timeout=60)
    reply = kc.get_shell_msg(timeout=10)
    assert reply["content"]["status"] == "ok"
    assert run(kc, "name").result_text == '"genuine"'


def test_an_empty_key_is_accepted_with_a_warning(tmp_path):
    """The protocol allows an empty key (no signing); the kernel says what it means."""
    import subprocess

    from jupyter_client.connect import write_connection_file
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("fireside")
    connection_file, info = write_connection_file(str(tmp_path / "kernel.json"), key=b"")
    argv = [arg.replace("{connection_file}", connection_file) for arg in spec.argv]
    kernel = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, env={**os.environ, **spec.env})
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in kernel.stderr], daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        seen = ""
        while "key is empty" not in seen and time.monotonic() < deadline:
            try:
                seen += lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
        assert "key is empty" in seen and "not signed" in seen, seen
    finally:
        kernel.terminate()  # a clean shutdown (SIGTERM), not a kill mid-start
        try:
            kernel.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kernel.kill()
            kernel.wait()


def zmtp_peer(port):
    """A raw ZMTP 3.0 peer (NULL mechanism, as Jupyter's sockets use), so
    that the test can send frame headers no ZeroMQ library would."""
    peer = socket.create_connection(("127.0.0.1", port), timeout=10)
    mechanism = b"NULL".ljust(20, b"\0")
    peer.sendall(b"\xff" + b"\0" * 8 + b"\x7f" + bytes([3, 0]) + mechanism + b"\0" + b"\0" * 31)
    greeting = b""
    while len(greeting) < 64:
        greeting += peer.recv(64 - len(greeting))
    name, value = b"Socket-Type", b"DEALER"
    ready = b"\x05READY" + bytes([len(name)]) + name + len(value).to_bytes(4, "big") + value
    peer.sendall(bytes([0x04, len(ready)]) + ready)
    return peer


def declare_a_huge_frame(port):
    """Declares a 1 TiB frame on `port`; true if the kernel hangs up."""
    peer = zmtp_peer(port)
    peer.sendall(b"\x02" + (1 << 40).to_bytes(8, "big"))
    try:
        while peer.recv(4096):  # the kernel's own READY command comes first
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        return False
    return True


def test_a_huge_declared_frame_is_refused_before_any_signature(fresh_kernel):
    # Frames are read before their signature can be checked. A frame header
    # that declared 1 TiB made the socket reserve it at once; the allocation
    # failed and the kernel died, for anyone who could reach the port.
    km, _ = fresh_kernel
    good = Session(key=km.session.key, signature_scheme="hmac-sha256")
    ports = km.get_connection_info()
    assert declare_a_huge_frame(ports["shell_port"]), "the kernel hangs up on that peer"
    # ... and goes on serving everyone else.
    assert km.is_alive()
    assert_still_answers(shell_socket(km), good)

    # The heartbeat too: its socket drops such a peer (zeromq's REP may leave
    # the connection open) and still answers the others.
    declare_a_huge_frame(ports["hb_port"])
    ping = zmq.Context.instance().socket(zmq.REQ)
    ping.linger = 0
    ping.connect(f"tcp://127.0.0.1:{ports['hb_port']}")
    ping.send(b"ping")
    assert ping.poll(5000), "the heartbeat answers after a bad peer"
    assert ping.recv() == b"ping"
    ping.close()
