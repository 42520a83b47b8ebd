"""The marking of docs/pages/operations.md that the production path relies on: its `bash`
blocks are the steps tests/production/conftest.py runs in a fresh clone (the stack of
test_production_path.py), its `ini` blocks what it writes into .env."""

from __future__ import annotations

from tests.production.doc_run import DOC, FENCE, OVERRIDDEN, REPO, STOP, doc_steps


def test_the_doc_marks_its_steps_and_shows_nothing_else_as_bash():
    """Every command of the page is a step (`bash`) or shown (`sh`); .env exists before the
    first `ini` block is written into it; the `ini` blocks name every value the tests put
    in place of the page's; the path ends with `make down`."""
    text = (REPO / DOC).read_text()
    languages = [m[1] for m in FENCE.finditer(text)]
    assert set(languages) <= {"bash", "ini", "sh", "text"}, languages
    steps = doc_steps(text)
    first_ini = next(i for i, (language, _) in enumerate(steps) if language == "ini")
    assert "cp .env.example .env" in "".join(body for _, body in steps[:first_ini])
    named = {
        line.partition("=")[0]
        for language, body in steps
        if language == "ini"
        for line in body.splitlines()
    }
    assert named >= OVERRIDDEN, f"the doc's .env lines do not name {sorted(OVERRIDDEN - named)}"
    assert steps[-1] == STOP
    assert STOP not in steps[:-1]
