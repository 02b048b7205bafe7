"""Kernels run side by side with separate state; history outlives a restart."""

import os
import time

from conftest import new_kernel, run


def test_two_kernels_at_once_keep_separate_variables():
    first_km, first = new_kernel()
    second_km, second = new_kernel()
    try:
        assert run(first, "let who = \"first\";").status == "ok"
        assert run(second, "let who = \"second\";").status == "ok"
        # Both compile and run cells at the same time.
        a = first.execute("std::thread::sleep(std::time::Duration::from_millis(500)); who")
        b = second.execute("std::thread::sleep(std::time::Duration::from_millis(500)); who")
        got = {}
        for kc, msg_id in ((first, a), (second, b)):
            reply = kc.get_shell_msg(timeout=120)
            assert reply["parent_header"]["msg_id"] == msg_id
            assert reply["content"]["status"] == "ok"
        assert run(first, "who").result_text == '"first"'
        assert run(second, "who").result_text == '"second"'
        dirs = {run(kc, 'std::env::var("FIRESIDE_PRIVATE_DIR").unwrap()').result_text for kc in (first, second)}
        assert len(dirs) == 2, "each kernel builds in its own directory"
    finally:
        for km, kc in ((first_km, first), (second_km, second)):
            kc.stop_channels()
            km.shutdown_kernel(now=False)


def test_shutdown_removes_the_private_directory(fresh_kernel):
    km, kc = fresh_kernel
    private = run(kc, 'std::env::var("FIRESIDE_PRIVATE_DIR").unwrap()').result_text.strip('"')
    assert os.path.isdir(private)
    kc.shutdown()
    deadline = time.monotonic() + 30
    while os.path.isdir(private) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not os.path.isdir(private)


def test_history_is_kept_across_a_restart(fresh_kernel):
    km, kc = fresh_kernel
    marker = f"let history_marker_{os.getpid()} = 1;"
    assert run(kc, marker).status == "ok"
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=60)
    msg_id = kc.history(hist_access_type="search", pattern=f"let history_marker_{os.getpid()}*", output=False, raw=True)
    reply = kc.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert [entry[2] for entry in reply["content"]["history"]] == [marker]
