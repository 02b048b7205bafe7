"""Variables live from one cell to the next. A cell stores its new variables
with the types the compiler inferred, without waiting for rust-analyzer, and
the kernel names those types only when a later cell uses the variable; a
cell takes out of the store only the variables it mentions."""

from conftest import run


def value(kernel, code):
    result = run(kernel, code)
    assert result.status == "ok", result
    return result.result_text


def test_a_toolkit_layer_defined_in_one_cell_is_used_in_the_next(kernel):
    assert run(kernel, "let layer = Dense::new(3).build(2, &device());").status == "ok"
    assert value(kernel, "layer.shape()") == "(2, 3)"
    assert value(kernel, "layer.num_params()") == "9"


def test_tuples_mutability_and_explicit_types(kernel):
    assert run(kernel, 'let (count, name) = (3, "three");\nlet mut total = 0u64;\nlet ratio: f64 = 0.25;').status == "ok"
    assert value(kernel, "count * 2") == "6"
    assert value(kernel, "name.len()") == "5"
    assert run(kernel, "total += 5;").status == "ok"
    assert value(kernel, "total") == "5"
    assert value(kernel, "ratio * 4.0") == "1.0"


def test_a_variable_mentioned_only_inside_a_format_string_is_loaded(kernel):
    assert run(kernel, 'let greeting = "hi";').status == "ok"
    assert value(kernel, 'format!("{greeting}!")') == '"hi!"'


def test_variables_not_mentioned_stay_stored_untouched(kernel):
    assert run(kernel, "let kept_aside = vec![1.5f32, 2.5];").status == "ok"
    for n in range(3):
        assert value(kernel, f"{n} + 1") == str(n + 1)
    assert value(kernel, "kept_aside.iter().sum::<f32>()") == "4.0"


def test_a_variable_redefined_with_another_type(kernel):
    assert run(kernel, "let shifting = 1;").status == "ok"
    assert run(kernel, 'let shifting = "one";').status == "ok"
    assert value(kernel, "shifting.len()") == "3"


def test_a_closure_is_refused_with_advice_and_nothing_is_lost(kernel):
    assert run(kernel, "let before_closure = 2;").status == "ok"
    result = run(kernel, "let add_one = |x: i32| x + 1;")
    assert result.status == "error", result
    assert "closure" in "\n".join(result.reply["content"]["traceback"]), result
    assert value(kernel, "before_closure * 21") == "42"


def test_a_variable_without_an_inferable_type_is_a_compile_error(kernel):
    assert run(kernel, "let before_empty = 3;").status == "ok"
    result = run(kernel, "let empty = Vec::new();")
    assert result.status == "error", result
    assert result.reply["content"]["ename"] == "CompileError", result
    assert value(kernel, "before_empty + 1") == "4"


def test_a_variable_moved_into_another_is_not_kept_and_the_other_is(kernel):
    result = run(kernel, "let moved_from = vec![1, 2];\nlet moved_to = moved_from;\nmoved_to.len()")
    assert result.status == "ok", result
    assert result.result_text == "2"
    assert value(kernel, "moved_to.len()") == "2"
