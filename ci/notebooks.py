"""Keeps tutorial notebooks committed without outputs.

    python ci/notebooks.py check tutorials   fails if any notebook has outputs
    python ci/notebooks.py strip tutorials   removes them (before committing)
"""

import json
import pathlib
import sys


def stripped(notebook: dict) -> dict:
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    notebook.get("metadata", {}).pop("widgets", None)
    return notebook


def main(action: str, folder: str) -> int:
    paths = sorted(pathlib.Path(folder).glob("*.ipynb"))
    dirty = []
    for path in paths:
        original = json.loads(path.read_text())
        clean = stripped(json.loads(path.read_text()))
        if clean != original:
            if action == "strip":
                path.write_text(json.dumps(clean, indent=1, ensure_ascii=False) + "\n")
            dirty.append(path)
    if action == "check" and dirty:
        for path in dirty:
            print(f"{path}: has outputs or execution counts; run: python ci/notebooks.py strip {folder}")
        return 1
    print(f"{len(paths)} notebooks checked, {len(dirty)} {'stripped' if action == 'strip' else 'with outputs'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "strip"):
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
