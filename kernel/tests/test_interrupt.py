"""Interrupting a long cell stops it and keeps every variable, the
half-trained state included; only a cell that ignores the interrupt is
stopped by restarting the Rust process, which names the variables lost."""

import threading
import time

from conftest import run


def interrupt_when(km, predicate, delay=1.0):
    """An on_message callback that interrupts `delay` s after `predicate(msg)`."""
    fired = []

    def on_message(msg):
        if not fired and predicate(msg):
            fired.append(True)
            threading.Timer(delay, km.interrupt_kernel).start()

    return on_message


def printed(text):
    return lambda msg: msg["msg_type"] == "stream" and text in msg["content"]["text"]


def test_interrupting_a_loop_keeps_its_progress(fresh_kernel):
    km, kc = fresh_kernel
    assert run(kc, "let mut steps = 0u64;\nlet weights = vec![0.5f32; 4];").status == "ok"
    code = (
        'println!("started");\n'
        "while !fireside::interrupted() {\n"
        "    steps += 1;\n"
        "    std::thread::sleep(std::time::Duration::from_millis(1));\n"
        "}"
    )
    started = time.monotonic()
    result = run(kc, code, on_message=interrupt_when(km, printed("started")))
    assert time.monotonic() - started < 120
    assert result.status == "error"
    assert result.reply["content"]["ename"] == "KeyboardInterrupt"
    steps = int(run(kc, "steps").result_text)
    assert steps > 100, "the loop ran, and its progress is kept"
    assert run(kc, "weights.len()").result_text == "4"


def test_a_progress_bar_loop_stops_at_an_interrupt(fresh_kernel):
    km, kc = fresh_kernel
    assert run(kc, "let mut seen = 0u64;").status == "ok"
    code = (
        "for _ in progress(0..1_000_000u64) {\n"
        "    seen += 1;\n"
        "    std::thread::sleep(std::time::Duration::from_millis(1));\n"
        "}"
    )
    result = run(kc, code, on_message=interrupt_when(km, lambda m: m["msg_type"] == "display_data"))
    assert result.reply["content"]["ename"] == "KeyboardInterrupt"
    assert 0 < int(run(kc, "seen").result_text) < 1_000_000


def test_training_stops_at_an_interrupt_and_keeps_the_model(fresh_kernel):
    km, kc = fresh_kernel
    setup = """
let x = Tensor::<2>::random([4096, 8], Distribution::Normal(0.0, 1.0), &device());
let y = x.clone().sum_dim(1).greater_elem(0.0).int().flatten::<1>(0, 1);
let mut model = Sequential::new()
    .add(Dense::new(32).activation(Activation::Relu).input_dim(8))?
    .add(Dense::new(2).activation(Activation::Softmax))?
    .compile(Optimizer::adam(), Loss::SparseCategoricalCrossEntropy { from_logits: false }, &[Metric::Accuracy]);
"""
    assert run(kc, setup).status == "ok"
    code = "let history = model.fit(x.clone(), y.clone(), Fit::epochs(10_000).batch_size(8))?;"
    result = run(kc, code, on_message=interrupt_when(km, lambda m: m["msg_type"] == "update_display_data", delay=2.0))
    assert result.reply["content"]["ename"] == "KeyboardInterrupt"
    evaluation = run(kc, "model.evaluate(x.clone(), y.clone())?.accuracy.unwrap() > 0.6")
    assert evaluation.result_text == "true", "the half-trained model is kept, and learned something"


def test_a_cell_that_ignores_the_interrupt_is_stopped_and_names_lost_variables(fresh_kernel):
    km, kc = fresh_kernel
    assert run(kc, "let lost_value = 3;").status == "ok"
    code = 'println!("started");\nloop { std::thread::sleep(std::time::Duration::from_millis(10)); }'
    started = time.monotonic()
    result = run(kc, code, on_message=interrupt_when(km, printed("started")))
    assert time.monotonic() - started < 120
    content = result.reply["content"]
    assert content["ename"] == "KeyboardInterrupt"
    assert "lost_value" in content["evalue"]
    # The kernel goes on, with the toolkit loaded again.
    assert run(kc, "fireside::interrupted()").result_text == "false"
    assert run(kc, "6 * 7").result_text == "42"
