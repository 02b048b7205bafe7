"""Every incoming message must carry a valid HMAC signature; others are
dropped and the kernel keeps serving."""

import zmq
from jupyter_client.session import Session


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


def test_a_message_with_a_bad_signature_is_dropped(fresh_kernel):
    km, _ = fresh_kernel
    key = km.session.key
    good = Session(key=key, signature_scheme="hmac-sha256")
    forged = Session(key=b"not-the-key", signature_scheme="hmac-sha256")
    socket = shell_socket(km)
    forged.send(socket, "execute_request", {"code": 'panic!("must not run")', "silent": False})
    forged.send(socket, "kernel_info_request", {})
    assert replies(socket, good, 3000) == [], "a forged request got an answer"

    good.send(socket, "kernel_info_request", {})
    answer = replies(socket, good, 10000)
    assert answer and answer[0]["msg_type"] == "kernel_info_reply"


def test_a_message_without_a_signature_is_dropped(fresh_kernel):
    km, _ = fresh_kernel
    good = Session(key=km.session.key, signature_scheme="hmac-sha256")
    unsigned = Session(key=b"", signature_scheme="hmac-sha256")
    socket = shell_socket(km)
    unsigned.send(socket, "kernel_info_request", {})
    assert replies(socket, good, 3000) == []
    good.send(socket, "kernel_info_request", {})
    assert replies(socket, good, 10000)
