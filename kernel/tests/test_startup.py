"""A kernel that the user leaves idle after it starts (JupyterLab, VS Code)
warms rust-analyzer with a completion request once the toolkit is loaded.
CI's other tests send a cell at once, so the kernel skips that step there;
this test leaves the kernel idle and checks that the notebook's first cells
then run as usual."""

import time

from conftest import CELL_TIMEOUT, run
from jupyter_client.manager import start_new_kernel

# Long enough for the preload (about 40 s here) and most of the warm-up; a
# cell that arrives during the warm-up waits for it, which is also fine.
IDLE_SECONDS = 75


def test_an_idle_kernel_warms_up_and_then_runs_cells():
    km, kc = start_new_kernel(kernel_name="fireside", startup_timeout=60)
    try:
        time.sleep(IDLE_SECONDS)
        first = run(kc, "let rate = 0.5f32;\nlet steps = vec![1, 2, 3];", timeout=300)
        assert first.status == "ok", first
        assert run(kc, "steps.len() as f32 * rate").result_text == "1.5"
        code = "steps.it"
        kc.complete(code, len(code))
        reply = kc.get_shell_msg(timeout=CELL_TIMEOUT)
        assert "iter()" in reply["content"]["matches"], reply["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
