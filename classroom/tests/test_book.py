"""The book as a web site (out/book, built by `bash ci/book` from the
executed chapters), served over HTTP on loopback and read in Chromium:
every page loads with nothing failing, every image renders, the math is
typeset, every link inside the site resolves, and the chapters are in
order and linked to each other.
"""

from __future__ import annotations

import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from conftest import OUT, REPO, require

SITE = OUT / "book"
CHAPTERS = sorted(p.stem for p in (REPO / "tutorials").glob("[0-9][0-9]-*.ipynb"))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    require("The book's site (out/book)", (SITE / "index.html").exists(),
            "nothing: build it with `bash ci/book` after `bash ci/run-notebooks`")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def image_outputs(chapter: str) -> int:
    """How many plots and pictures the executed chapter shows."""
    notebook = json.loads((OUT / "notebooks" / f"{chapter}.ipynb").read_text())
    return sum(
        1
        for cell in notebook["cells"] if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
        if any(m in output.get("data", {}) for m in ("image/png", "image/svg+xml", "image/jpeg"))
    )


@pytest.mark.timeout(300)
def test_every_page_loads_renders_its_images_and_math_and_links_inside_the_site(browser, site, artifacts):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("requestfailed", lambda r: problems.append(f"failed to load {r.url}: {r.failure}"))
    def note_response(response):
        if response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    def note_console(message):
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    page.on("response", note_response)
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("console", note_console)

    links: dict[str, set[str]] = {}
    external: set[str] = set()
    pages = ["index"] + CHAPTERS
    for name in pages:
        url = urljoin(site, f"{name}.html")
        response = page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        # MathJax typesets after the load event.
        page.wait_for_function("() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)", timeout=30_000)
        page.evaluate("() => window.MathJax ? MathJax.startup.promise : null")
        broken = page.evaluate(
            "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))")
        assert not broken, f"{name}: images that did not render: {broken}"
        if name != "index":
            shown = page.evaluate("() => document.images.length + document.querySelectorAll('.jp-RenderedSVG svg').length")
            assert shown >= image_outputs(name), f"{name}: {shown} images on the page, {image_outputs(name)} in the notebook"
            raw_math = page.evaluate(
                "() => [...document.querySelectorAll('.jp-RenderedMarkdown')]"
                ".some(e => /\\$[^$\\s][^$]*\\$/.test(e.innerText))")
            assert not raw_math, f"{name}: TeX left untypeset (MathJax did not run)"
        found = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
        links[name] = set()
        for href in found:
            if urlparse(href).scheme in ("http", "https") and not href.startswith(site):
                external.add(href)
            elif href.startswith(site):
                links[name].add(href)
        if name in ("index", "05-cnn-mnist"):
            page.screenshot(path=str(artifacts / f"book-{name}.png"))
    assert not problems, "\n".join(problems)

    # Every link inside the site, to a page and to an anchor on it.
    for name, targets in links.items():
        for href in sorted(targets):
            target, anchor = urldefrag(href)
            response = page.request.get(target)
            assert response.ok, f"{name}: broken link {href} ({response.status})"
            if anchor and target.endswith(".html"):
                page.goto(target)
                found = page.evaluate("id => document.getElementById(id) !== null", anchor)
                assert found, f"{name}: {href} has no anchor #{anchor}"
    # The index lists the chapters in order, and next/previous walk the book.
    page.goto(urljoin(site, "index.html"))
    listed = [Path(urlparse(h).path).stem for h in page.evaluate(
        "() => [...document.querySelectorAll('main ol a')].map(a => a.href)")]
    assert listed == CHAPTERS, listed
    walked = []
    while page.locator("a[rel=next]").count() and len(walked) <= len(CHAPTERS):
        page.locator("a[rel=next]").first.click()
        walked.append(Path(urlparse(page.url).path).stem)
    assert walked == CHAPTERS, walked
    page.locator("a[rel=prev]").first.click()
    assert Path(urlparse(page.url).path).stem == CHAPTERS[-2]
    # The chapters' own "Next: [..](NN-name.ipynb)" links point at pages.
    assert all(not h.endswith(".ipynb") for targets in links.values() for h in targets)
    (artifacts / "book-external-links.txt").write_text(
        "Links out of the site (not followed: CI has no internet):\n" + "\n".join(sorted(external)) + "\n")
    context.close()
