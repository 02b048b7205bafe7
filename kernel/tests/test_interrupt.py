"""Interrupting a long cell stops it and keeps every variable, the
half-trained state included; only a cell that ignores the interrupt is
stopped by restarting the Rust process, which names the variables lost."""

import threading
import time

from conftest import run


def interrupt_after(km, seconds):
    timer = threading.Timer(seconds, km.interrupt_kernel)
    timer.start()
    return timer


def test_interrupting_a_loop_keeps_its_progress(fresh_kernel):
    km, kc = fresh_kernel
    assert run(kc, "let mut steps = 0u64;\nlet weights = vec![0.5f32; 4];").status == "ok"
    interrupt_after(km, 3)
    started = time.monotonic()
    result = run(kc, "while !fireside::interrupted() {\n    steps += 1;\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}")
    assert time.monotonic() - started < 30
    assert result.status == "error"
    assert result.reply["content"]["ename"] == "KeyboardInterrupt"
    steps = int(run(kc, "steps").result_text)
    assert steps > 100, "the loop ran, and its progress is kept"
    assert run(kc, "weights.len()").result_text == "4"
    assert run(kc, "steps > 0").result_text == "true"


def test_a_progress_bar_loop_stops_at_an_interrupt(fresh_kernel):
    km, kc = fresh_kernel
    assert run(kc, "let mut seen = 0u64;").status == "ok"
    interrupt_after(km, 3)
    result = run(kc, "for _ in progress(0..1_000_000u64) {\n    seen += 1;\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}")
    assert result.reply["content"]["ename"] == "KeyboardInterrupt"
    assert 0 < int(run(kc, "seen").result_text) < 1_000_000


def test_a_cell_that_ignores_the_interrupt_is_stopped_and_names_lost_variables(fresh_kernel):
    km, kc = fresh_kernel
    assert run(kc, "let lost_value = 3;").status == "ok"
    interrupt_after(km, 2)
    started = time.monotonic()
    result = run(kc, "loop { std::thread::sleep(std::time::Duration::from_millis(10)); }")
    assert time.monotonic() - started < 60
    content = result.reply["content"]
    assert content["ename"] == "KeyboardInterrupt"
    assert "lost_value" in content["evalue"]
    # The kernel goes on, with the toolkit loaded again.
    assert run(kc, "fireside::interrupted()").result_text == "false"
    assert run(kc, "6 * 7").result_text == "42"
