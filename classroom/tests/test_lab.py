"""JupyterLab 4 in a real browser (Debian's Chromium, driven by Playwright),
used as a student uses it: open a chapter, pick the "Rust (fireside)"
kernel, run all cells, complete a name, interrupt a training cell.

Screenshots of each moment go to out/classroom/lab-*.png.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest
from conftest import KERNEL_DISPLAY_NAME, REPO, VENV_BIN, free_port, require_module, wait_until

CHAPTER = "00-getting-started.ipynb"
# The first cell loads the toolkit (a few seconds) and code analysis starts
# behind it; on two busy cores give both room.
KERNEL_START_TIMEOUT_MS = 120_000
RUN_ALL_TIMEOUT_MS = 300_000
# Code typed into the notebook after the chapter: a model, and a training
# long enough to be interrupted.
MODEL_CELL = """\
let x = Tensor::<2>::random([20_000, 8], Distribution::Normal(0.0, 1.0), &device);
let y = x.clone().sum_dim(1);
let mut model = Sequential::new()
    .add(Dense::new(32).activation(Activation::Relu).input_dim(8))?
    .add(Dense::new(1))?
    .compile(Optimizer::adam(), Loss::MeanSquaredError, &[]);
let learning_rate_for_the_class = 0.001;"""
TRAINING_CELL = "let history = model.fit(x.clone(), y.clone(), Fit::epochs(1_000).batch_size(8))?;"
AFTER_INTERRUPT_CELL = "println!(\"{}\", model.evaluate(x.clone(), y.clone())?);\nmodel.summary()"


class Lab:
    """`jupyter lab` on a free loopback port with a token, serving a folder."""

    def __init__(self, root: Path):
        require_module("jupyterlab", "jupyterlab")
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        settings = root.parent / "lab-settings"
        # No "Would you like to get notified about official Jupyter news?".
        notification = settings / "user" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        notification.parent.mkdir(parents=True)
        notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        # Every cell in the page, also those scrolled out of view, for the test to read.
        tracker = settings / "user" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
        tracker.parent.mkdir(parents=True)
        tracker.write_text(json.dumps({"windowingMode": "none"}))
        self.log = open(root.parent / "jupyterlab.log", "w")
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "jupyter-lab"), "--no-browser",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
                # No update checks from a machine without the internet, and
                # settings of its own, not the user's.
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                f"--LabApp.user_settings_dir={settings / 'user'}",
                f"--LabApp.workspaces_dir={settings / 'workspaces'}",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(root.parent / "runtime")},
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        import urllib.request

        def answers():
            assert self.process.poll() is None, f"JupyterLab exited; see {self.log.name}"
            return urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=5).status == 200

        wait_until(answers, 90, f"JupyterLab did not answer on {self.base} (see {self.log.name})")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def lab(tmp_path):
    root = tmp_path / "notebooks"
    root.mkdir()
    # The chapter as a student might get it: without a kernel chosen.
    notebook = json.loads((REPO / "tutorials" / CHAPTER).read_text())
    notebook["metadata"].pop("kernelspec", None)
    (root / CHAPTER).write_text(json.dumps(notebook))
    lab = Lab(root)
    yield lab
    lab.stop()


def shot(page, artifacts: Path, name: str):
    page.screenshot(path=str(artifacts / f"lab-{name}.png"))


def kernel_idle(page, timeout_ms: int):
    """The status bar's "Rust (fireside) | Idle": connected, and not running anything."""
    page.get_by_text(f"{KERNEL_DISPLAY_NAME} | Idle", exact=True).wait_for(timeout=timeout_ms)


# Records, in the page, each text the progress bar of chapter 00 shows, and
# how many outputs of its cell hold a bar.
WATCH_THE_PROGRESS_BAR = """() => {
  window.barTexts = []; window.barCounts = [];
  new MutationObserver(() => {
    const bars = [...document.querySelectorAll('.jp-OutputArea-output')]
      .filter(o => o.innerText.startsWith('summing'));
    if (!bars.length) return;
    const text = bars[0].innerText;
    if (window.barTexts[window.barTexts.length - 1] !== text) {
      window.barTexts.push(text);
      window.barCounts.push(bars.length);
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def add_cell_below(page, code: str):
    """Escape, B (a new cell below the active one), Enter, then the code.
    Returns the new cell."""
    cells = page.locator(".jp-Notebook .jp-Cell")
    before = cells.count()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    wait_until(lambda: cells.count() == before + 1, 10, "B added no cell")
    page.keyboard.press("Enter")
    # insert_text: CodeMirror gets the text as a paste, without auto-closed brackets.
    if code:
        page.keyboard.insert_text(code)
    index = page.evaluate(
        "() => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]"
        ".findIndex(c => c.classList.contains('jp-mod-active'))")
    return cells.nth(index)


def prompt_of(cell) -> str:
    return cell.locator(".jp-InputArea-prompt").inner_text().strip()


def run_and_wait(page, cell, timeout_s: float):
    """Shift+Enter on the cell, then waits for its prompt's number."""
    page.keyboard.press("Shift+Enter")
    wait_until(lambda: re.fullmatch(r"\[\d+\]:", prompt_of(cell)), timeout_s,
               f"the cell did not finish: {cell.inner_text()[:200]!r}", interval=0.2)


def failed(cell) -> bool:
    return cell.locator("[data-mime-type='application/vnd.jupyter.error']").count() > 0


@pytest.fixture
def page(browser, artifacts):
    """A browser tab; its last screenshot (lab-last.png) shows where a failed test stopped."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    page.screenshot(path=str(artifacts / "lab-last.png"))
    context.close()


@pytest.mark.timeout(420)
def test_a_student_runs_a_chapter_in_jupyterlab(page, lab, artifacts):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{lab.base}/lab/tree/{CHAPTER}?token={lab.token}")

    # Pick the kernel: the toolbar's kernel name opens JupyterLab's chooser.
    page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
    page.locator(".jp-Toolbar-kernelName").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=30_000)
    select = dialog.locator("select")
    select.select_option(label=KERNEL_DISPLAY_NAME)
    shot(page, artifacts, "1-kernel-picker")
    dialog.get_by_role("button", name="Select").click()
    page.wait_for_selector(f".jp-Toolbar-kernelName:has-text('{KERNEL_DISPLAY_NAME}')", timeout=30_000)
    kernel_idle(page, KERNEL_START_TIMEOUT_MS)

    # Run all cells. The page itself records each state of the progress bar
    # as the browser draws it (a test polling from outside could miss them).
    code_cells = page.locator(".jp-Notebook .jp-CodeCell")
    cell_count = code_cells.count()
    page.evaluate(WATCH_THE_PROGRESS_BAR)
    page.locator(".lm-MenuBar-item", has_text="Run").click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    progress_cell = code_cells.filter(has_text="with_label(\"summing\")")
    progress_cell.get_by_text("summing").first.wait_for(timeout=RUN_ALL_TIMEOUT_MS)
    shot(page, artifacts, "2-progress-bar")
    wait_until(lambda: all(re.fullmatch(r"\[\d+\]:", p.strip())
                           for p in code_cells.locator(".jp-InputArea-prompt").all_inner_texts()),
               RUN_ALL_TIMEOUT_MS / 1000, "Run All did not finish", interval=0.5)
    kernel_idle(page, RUN_ALL_TIMEOUT_MS)
    seen, outputs_seen = page.evaluate("() => [window.barTexts, window.barCounts]")
    prompts = code_cells.locator(".jp-InputArea-prompt").all_inner_texts()
    assert len(prompts) == cell_count and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts), prompts
    assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0, "a cell failed"
    assert len(seen) >= 3, f"the progress bar did not redraw while the cell ran: {seen}"
    assert set(outputs_seen) == {1}, f"the progress bar should redraw in place, not add outputs: {outputs_seen}"
    # The plot is an image that the browser decoded.
    images = page.locator(".jp-OutputArea-output img")
    assert images.count() >= 1, "no plot was rendered as an image"
    plot = page.locator(".jp-RenderedSVG img, .jp-RenderedImage img").first
    plot.scroll_into_view_if_needed()
    assert plot.evaluate("img => img.complete && img.naturalWidth > 100"), "the plot did not decode"
    shot(page, artifacts, "3-plot")

    # A model, then completion of a name the model cell defined.
    code_cells.last.click()
    model_cell = add_cell_below(page, MODEL_CELL)
    run_and_wait(page, model_cell, KERNEL_START_TIMEOUT_MS / 1000)
    assert not failed(model_cell), model_cell.inner_text()
    completing = add_cell_below(page, "")
    page.keyboard.type("learning_rate_for_t")
    page.keyboard.press("Tab")
    completer = page.locator(".jp-Completer")
    # Where the name is the only match, JupyterLab inserts it without a list.
    wait_until(lambda: completer.is_visible() or "learning_rate_for_the_class" in completing.inner_text(),
               60, "no completion for learning_rate_for_t")
    shot(page, artifacts, "4-completion")
    if completer.is_visible():
        assert completer.locator(".jp-Completer-item", has_text="learning_rate_for_the_class").count() >= 1
        page.keyboard.press("Enter")
    assert "learning_rate_for_the_class" in completing.locator(".cm-content").inner_text()

    # Train, interrupt, and find the model still there. The training goes
    # in the cell that was only for completing.
    training = completing
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(TRAINING_CELL)
    page.keyboard.press("Shift+Enter")
    # Into the second epoch at least: the bar counts epochs, and the loss
    # curve appears after the first.
    wait_until(lambda: re.search(r"epoch ([2-9]|\d\d+)/1000", training.inner_text())
               and training.locator(".jp-OutputArea-output svg, .jp-OutputArea-output img").count(),
               120, "the training cell showed no second epoch and no loss curve", interval=0.2)
    shot(page, artifacts, "5-training")
    page.locator("jp-button[data-command='notebook:interrupt-kernel'], "
                 "button[data-command='notebook:interrupt-kernel']").first.click()
    wait_until(lambda: re.fullmatch(r"\[\d+\]:", prompt_of(training)), 30, "the interrupt did not stop the cell")
    assert "KeyboardInterrupt" in training.inner_text(), training.inner_text()
    after = add_cell_below(page, AFTER_INTERRUPT_CELL)
    run_and_wait(page, after, 120)
    after.scroll_into_view_if_needed()
    shot(page, artifacts, "6-after-interrupt")
    assert not failed(after), after.inner_text()
    assert "Dense" in after.inner_text() and "loss" in after.inner_text(), after.inner_text()
    assert not errors, f"JavaScript errors in the page: {errors}"
