"""A kernel that the user leaves idle after it starts (JupyterLab, VS Code)
loads the toolkit, then rust-analyzer warms up on its own thread. This test
leaves the kernel idle through that and checks that the notebook's first
cells then run as usual, that a variable stored before its type was named
is usable, and that completions answer."""

import time

from conftest import CELL_TIMEOUT, run
from jupyter_client.manager import start_new_kernel

# Long enough for the preload and most of rust-analyzer's warm-up.
IDLE_SECONDS = 45


def test_an_idle_kernel_warms_up_and_then_runs_cells():
    km, kc = start_new_kernel(kernel_name="fireside", startup_timeout=60)
    try:
        time.sleep(IDLE_SECONDS)
        first = run(kc, "let rate = 0.5f32;\nlet steps = vec![1, 2, 3];", timeout=300)
        assert first.status == "ok", first
        assert run(kc, "steps.len() as f32 * rate").result_text == "1.5"
        # A completion waits at most 0.7 s for the analysis; its first answer
        # about new code can take longer, and then comes with the next request.
        code = "steps.it"
        for _ in range(20):
            kc.complete(code, len(code))
            reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
            if "iter()" in reply["content"]["matches"]:
                break
            time.sleep(1)
        assert "iter()" in reply["content"]["matches"], reply["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_kernel_info_lists_the_optional_features_it_has(kernel):
    # JEP 92: a frontend reads `supported_features` to learn whether a kernel
    # has a debugger or subshells; fireside has neither, and says so.
    msg_id = kernel.kernel_info()
    reply = kernel.get_shell_msg(timeout=CELL_TIMEOUT)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["supported_features"] == []
    assert reply["content"]["implementation"] == "fireside"



def test_each_iopub_subscriber_is_welcomed(kernel):
    # JEP 65: a client learns that its output subscription has arrived from
    # an `iopub_welcome`, instead of probing with kernel_info requests.
    import zmq
    from jupyter_client.session import Session

    info = kernel.get_connection_info()
    session = Session(key=info["key"], signature_scheme=info["signature_scheme"])
    subscriber = zmq.Context.instance().socket(zmq.SUB)
    subscriber.linger = 0
    subscriber.connect(f"tcp://{info['ip']}:{info['iopub_port']}")
    subscriber.setsockopt(zmq.SUBSCRIBE, b"")
    try:
        deadline = time.monotonic() + 10
        welcomes = []
        while not welcomes and time.monotonic() < deadline:
            if subscriber.poll(500):
                _, message = session.recv(subscriber)
                if message["header"]["msg_type"] == "iopub_welcome":
                    welcomes.append(message)
        assert welcomes, "no iopub_welcome within 10 s"
        assert welcomes[0]["content"] == {"subscription": ""}
        assert welcomes[0]["parent_header"] == {}
    finally:
        subscriber.close()
