"""Errors end the cell with status `error`, say what went wrong, and keep
the notebook's variables."""

from conftest import run


def value_after_error(kernel, code):
    """The value a cell shows after an error cell: it runs (the error
    aborts only cells queued while it ran, not the next one the user sends)
    and sees the variables defined before the error."""
    result = run(kernel, code)
    assert result.status == "ok", result
    assert result.result_text is not None, result
    return result.result_text


def test_a_panic_is_an_error_with_its_message_and_variables_survive(kernel):
    assert run(kernel, "let kept = 41;").status == "ok"
    result = run(kernel, 'let fresh = 1;\npanic!("the model diverged at step {}", kept);')
    assert result.status == "error"
    content = result.reply["content"]
    assert content["ename"] == "panic"
    assert content["evalue"] == "the model diverged at step 41"
    assert result.of_type("error"), "an error message is published on iopub"
    assert value_after_error(kernel, "kept + 1") == "42"


def test_a_compile_error_is_readable_and_points_at_the_cell(kernel):
    assert run(kernel, "let kept_too = 7;").status == "ok"
    result = run(kernel, 'let n: u32 = "seven";')
    assert result.status == "error"
    content = result.reply["content"]
    assert content["ename"] == "CompileError"
    traceback = "\n".join(content["traceback"])
    assert "\x1b[" not in traceback, "no terminal colour codes"
    assert "mismatched types" in traceback
    assert 'let n: u32 = "seven";' in traceback, traceback
    assert "^" in traceback
    assert value_after_error(kernel, "kept_too * 6") == "42"


def test_a_question_mark_error_at_top_level_is_an_error(kernel):
    assert run(kernel, "let before = 5;").status == "ok"
    result = run(kernel, 'let parsed: i32 = "not a number".parse()?;')
    assert result.status == "error"
    assert "invalid digit" in result.reply["content"]["evalue"]
    assert value_after_error(kernel, "before") == "5"


def test_an_error_aborts_the_cells_queued_after_it(kernel):
    first = kernel.execute('panic!("stop here")')
    second = kernel.execute("1 + 1")
    replies = {}
    while len(replies) < 2:
        reply = kernel.get_shell_msg(timeout=120)
        replies[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
    assert replies[first] == "error"
    assert replies[second] == "aborted"
    assert run(kernel, "2 + 2").result_text == "4"
