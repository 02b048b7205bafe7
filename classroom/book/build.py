"""Renders the executed chapters into the book's static web site.

    python classroom/book/build.py out/notebooks out/book

Each executed chapter (from `bash ci/run-notebooks`) becomes a page with
nbconvert's JupyterLab rendering, through the `fireside-book` template: its
plots embedded, links to the index and to the previous and next chapters,
and links between chapters pointing at their pages. The index lists the
chapters in order. MathJax comes from npm (classroom/package.json) and is
copied into the site, so that the pages read offline.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TUTORIALS = REPO / "tutorials"
MATHJAX = HERE.parent / "node_modules" / "mathjax" / "es5"
# What MathJax's combined TeX component loads: itself, its fonts, its menu.
MATHJAX_FILES = ["tex-chtml-full.js", "output/chtml/fonts/woff-v2", "ui"]
BOOK_TITLE = "Dive into Deep Learning, in Rust"

# A link to a chapter, in Markdown or HTML: `](05-cnn-mnist.ipynb#part)`.
CHAPTER_LINK = re.compile(r"(\]\(|href=\")(?:\./)?(\d\d-[\w-]+)\.ipynb(#[^)\"]*)?(\)|\")")


class BookError(Exception):
    """Why the site cannot be built, and what to run first."""


@dataclass
class Chapter:
    stem: str
    title: str
    summary: str
    executed: Path

    @property
    def href(self) -> str:
        return f"{self.stem}.html"


class ChapterLinks(Preprocessor):
    """Points links to `NN-name.ipynb` at that chapter's page."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = CHAPTER_LINK.sub(lambda m: f"{m[1]}{m[2]}.html{m[3] or ''}{m[4]}", cell.source)
        return cell, resources


def read_chapter(tutorial: Path, executed_dir: Path) -> Chapter:
    executed = executed_dir / tutorial.name
    if not executed.exists():
        raise BookError(
            f"{executed} is missing: the book is rendered from executed chapters. "
            f"Run `bash ci/run-notebooks` first."
        )
    notebook = nbformat.read(tutorial, as_version=4)
    first = next(c for c in notebook.cells if c.cell_type == "markdown")
    heading, _, rest = first.source.partition("\n")
    title = heading.lstrip("#").strip()
    paragraph = rest.strip().split("\n\n")[0].replace("\n", " ")
    summary = paragraph.split(". ")[0].rstrip(".:") + "."
    return Chapter(tutorial.stem, title, summary, executed)


def index_notebook(chapters: list[Chapter]):
    lines = [
        f"# {BOOK_TITLE}",
        "",
        "Deep learning taught with **fireside**: a Jupyter kernel for Rust with a deep-learning toolkit "
        "already loaded. Each chapter below is a notebook, shown here as it ran, with its outputs. "
        "Open the same notebooks in JupyterLab to run them yourself (`bash ci/lab`).",
        "",
        "## Chapters",
        "",
    ]
    for chapter in chapters:
        lines.append(f"1. [{chapter.title}]({chapter.href}): {chapter.summary}")
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
    notebook.metadata["title"] = BOOK_TITLE
    return notebook


def build(executed_dir: Path, site: Path) -> list[Path]:
    tutorials = sorted(TUTORIALS.glob("[0-9][0-9]-*.ipynb"))
    chapters = [read_chapter(t, executed_dir) for t in tutorials]
    if not (MATHJAX / MATHJAX_FILES[0]).exists():
        raise BookError(f"MathJax is missing at {MATHJAX}. Run `bash ci/setup-classroom` (it runs `npm ci` in classroom/).")

    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    for name in MATHJAX_FILES:
        source, target = MATHJAX / name, site / "mathjax" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)

    exporter = HTMLExporter(template_name="fireside-book", extra_template_basedirs=[str(HERE / "templates")])
    exporter.register_preprocessor(ChapterLinks(), enabled=True)

    def render(notebook, page: Path, previous: Chapter | None, following: Chapter | None, title: str):
        def link(chapter: Chapter | None):
            return {"href": chapter.href, "title": chapter.title} if chapter else None

        book = {"title": BOOK_TITLE, "previous": link(previous), "next": link(following)}
        notebook.metadata["title"] = title
        html, _ = exporter.from_notebook_node(notebook, resources={"book": book})
        page.write_text(html, encoding="utf-8")
        return page

    pages = [render(index_notebook(chapters), site / "index.html", None, chapters[0], BOOK_TITLE)]
    for i, chapter in enumerate(chapters):
        previous = chapters[i - 1] if i > 0 else None
        following = chapters[i + 1] if i + 1 < len(chapters) else None
        notebook = nbformat.read(chapter.executed, as_version=4)
        pages.append(render(notebook, site / chapter.href, previous, following, chapter.title))
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("executed", type=Path, help="folder of executed chapters (out/notebooks)")
    parser.add_argument("site", type=Path, help="folder to write the site into (out/book)")
    args = parser.parse_args()
    try:
        pages = build(args.executed, args.site)
    except BookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"the book: {len(pages)} pages in {args.site} (open {args.site / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
