"""The chapters' exercises through nbgrader's real workflow, on the fireside kernel.

tutorials/ holds the teacher's version of each chapter. The test builds a course
directory from it, as a teacher would, and runs nbgrader's commands:
- `generate_assignment` makes the student version: the solutions are gone, the tests are kept;
- `autograde` of a submission with the solutions filled in gives full marks;
- `autograde` of a submission with a wrong answer takes that exercise's points away, and
  an unanswered student version scores 0 while every other cell of the chapter still runs.

Every chapter goes through `generate_assignment`. Grading executes a whole chapter,
so CI grades two, which run in seconds; `FIRESIDE_GRADE_ALL=1` grades all 13.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CLASSROOM, REPO, VENV_BIN, require_module

TUTORIALS = REPO / "tutorials"
CONFIG = CLASSROOM / "grading" / "nbgrader_config.py"
# Chapter 00 is a tour without exercises.
CHAPTERS = sorted(p.stem for p in TUTORIALS.glob("[0-9][0-9]-*.ipynb") if not p.name.startswith("00-"))
# ci/run-notebooks already runs every teacher's version with its test cells; CI grades the two
# chapters whose wrong answers are tested below, to keep ci/test under 20 minutes.
QUICK = ["02-losses", "10-gaussian-mixtures"]
GRADED = CHAPTERS if os.environ.get("FIRESIDE_GRADE_ALL") == "1" else QUICK
STUB = "todo!()"

# A plausible wrong answer for one exercise of a chapter: (the solution cell's grade_id,
# the code that replaces its solution region, the test cells that must then fail).
WRONG_ANSWERS = {
    "02-losses": ("ex02-1-answer", "predictions.iter().zip(targets).map(|(p, t)| (p - t).abs()).sum::<f32>() / predictions.len() as f32",
                  ["ex02-1-check"]),
    "10-gaussian-mixtures": ("ex10-1-answer", "0.0", ["ex10-1-check"]),
}


def nbgrader(course: Path, *args: str) -> str:
    # nbgrader runs `alembic` and the kernel from PATH.
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(VENV_BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def notebook(path: Path) -> dict:
    return json.loads(path.read_text())


def nbgrader_cells(nb: dict, kind: str) -> list[dict]:
    return [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get(kind)]


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    require_module("nbgrader", "nbgrader")
    root = tmp_path_factory.mktemp("course")
    shutil.copy(CONFIG, root / "nbgrader_config.py")
    for chapter in CHAPTERS:
        (root / "source" / chapter).mkdir(parents=True)
        shutil.copy(TUTORIALS / f"{chapter}.ipynb", root / "source" / chapter)
    # One run for every chapter: the assignment id is a glob.
    nbgrader(root, "generate_assignment", "*", "--force")
    assert sorted(p.name for p in (root / "release").iterdir()) == CHAPTERS
    return root


def submit(course: Path, student: str, chapter: str, nb: dict) -> None:
    folder = course / "submitted" / student / chapter
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{chapter}.ipynb").write_text(json.dumps(nb))


def grades(course: Path, student: str, chapter: str) -> dict[str, tuple[float, float]]:
    """Autogrades a submission; each test cell's (score, points)."""
    nbgrader(course, "autograde", chapter, "--student", student, "--force")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submitted = gradebook.find_submission_notebook(chapter, chapter, student)
        return {g.name: (g.score, g.max_score) for g in submitted.grades if g.max_score}


def errors_outside_exercises(course: Path, student: str, chapter: str) -> list[str]:
    graded = notebook(course / "autograded" / student / chapter / f"{chapter}.ipynb")
    return [
        source(c)[:60] for c in graded["cells"]
        if c["cell_type"] == "code" and "nbgrader" not in c.get("metadata", {})
        and any(o["output_type"] == "error" for o in c.get("outputs", []))
    ]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_student_version_keeps_the_tests_and_drops_the_solutions(course: Path, chapter: str) -> None:
    teacher = notebook(course / "source" / chapter / f"{chapter}.ipynb")
    student = notebook(course / "release" / chapter / f"{chapter}.ipynb")
    headings = [source(c).splitlines()[0] for c in teacher["cells"] if c["cell_type"] == "markdown" and source(c)]
    assert "## Summary" in headings and "## Exercises" in headings, f"{chapter} ends with a summary and exercises"

    tests = nbgrader_cells(teacher, "grade")
    assert len(tests) >= 3 and all(c["metadata"]["nbgrader"]["points"] > 0 for c in tests), \
        f"{chapter} has at least three graded exercises"
    assert [source(c) for c in nbgrader_cells(student, "grade")] == [source(c) for c in tests]

    solutions = [c for c in nbgrader_cells(teacher, "solution") if c["cell_type"] == "code"]
    assert len(solutions) >= 3
    for cell, stripped in zip(solutions, [c for c in nbgrader_cells(student, "solution") if c["cell_type"] == "code"]):
        answer = re.search(r"BEGIN SOLUTION\n(.*?)\n[^\n]*END SOLUTION", source(cell), re.S).group(1).strip()
        assert STUB in source(stripped) and "BEGIN SOLUTION" not in source(stripped)
        assert answer not in source(stripped), f"{chapter}: a solution reached the student version"


@pytest.mark.parametrize("chapter", GRADED)
def test_a_complete_submission_gets_full_marks(course: Path, chapter: str) -> None:
    submit(course, "complete", chapter, notebook(TUTORIALS / f"{chapter}.ipynb"))
    scores = grades(course, "complete", chapter)
    lost = {name: score for name, score in scores.items() if score[0] != score[1]}
    assert scores and not lost, f"{chapter}: the teacher's solutions lost points: {lost}"
    assert not errors_outside_exercises(course, "complete", chapter)


@pytest.mark.parametrize("chapter", sorted(WRONG_ANSWERS))
def test_a_wrong_answer_loses_its_points(course: Path, chapter: str) -> None:
    solution_id, wrong, failing = WRONG_ANSWERS[chapter]
    nb = notebook(TUTORIALS / f"{chapter}.ipynb")
    (cell,) = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == solution_id]
    answered = re.sub(r"([ \t]*)//[^\n]*BEGIN SOLUTION\n.*?END SOLUTION[^\n]*", lambda m: m.group(1) + wrong,
                      source(cell), flags=re.S)
    assert answered != source(cell)
    cell["source"] = answered
    submit(course, "wrong", chapter, nb)
    scores = grades(course, "wrong", chapter)
    for name, (score, points) in scores.items():
        expected = 0 if name in failing else points
        assert score == expected, f"{chapter}: {name} scored {score} of {points}, expected {expected}"


def test_an_unanswered_chapter_scores_zero_and_still_runs(course: Path) -> None:
    chapter = "02-losses"
    submit(course, "blank", chapter, notebook(course / "release" / chapter / f"{chapter}.ipynb"))
    scores = grades(course, "blank", chapter)
    assert scores and all(score == 0 for score, _ in scores.values()), scores
    assert not errors_outside_exercises(course, "blank", chapter), "the chapter itself runs without the answers"
