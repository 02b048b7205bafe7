"""The standard protocol conformance suite (jupyter_kernel_test 0.7.0)."""

import time
import unittest

import jupyter_kernel_test

from conftest import FIRST_CELL_TIMEOUT, KERNEL


class FiresideKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL
    language_name = "rust"
    file_extension = ".rs"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The toolkit loads in the background, and rust-analyzer loads its
        # dependencies after it. Cells never wait for the analysis, and
        # completions wait at most 0.7 s (until it is warm they offer the
        # names known without it). The suite checks the analysis's answers
        # (paths, inspection), so wait until it gives them.
        deadline = time.monotonic() + FIRST_CELL_TIMEOUT
        cls.request(cls.kc.execute("1"))
        while "Dense" not in cls.request(cls.kc.complete("fireside::layers::Den", 21))["content"]["matches"]:
            assert time.monotonic() < deadline, "rust-analyzer did not warm up"
            time.sleep(1)

    @classmethod
    def request(cls, msg_id):
        while True:
            reply = cls.kc.get_shell_msg(timeout=FIRST_CELL_TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    code_hello_world = 'println!("hello, world");'
    code_stderr = 'eprintln!("to stderr");'
    completion_samples = [
        {"text": "fireside::layers::Den", "matches": {"Dense", "DenseLayer"}},
    ]
    complete_code_samples = ["let x = 1;", "fn f() -> i32 { 1 }", "1 + 2", ":dep rand = \"0.9\""]
    incomplete_code_samples = ["fn f() {", "let x = 1 +", "let s = \"unterminated"]
    invalid_code_samples = ["let x = ;\nlet y = 2;", "fn f() { } }"]
    code_generate_error = 'panic!("generated error")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"fire".to_owned() + "side"', "result": '"fireside"'},
        {"code": "fireside::display::html(\"<b>rich</b>\")", "mime": "text/html", "result": "<b>rich</b>"},
    ]
    code_display_data = [
        {"code": 'fireside::display::display(&fireside::display::html("<i>shown</i>"));', "mime": "text/html"},
        {"code": 'fireside::display::display(&fireside::display::markdown("**shown**"));', "mime": "text/markdown"},
    ]
    code_history_pattern = "6 ? 7"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "fireside::layers::Dense"
    code_clear_output = "fireside::display::clear_output(false);"


if __name__ == "__main__":
    unittest.main()
