"""The documentation's Python code blocks run as written.

Sphinx shows ``.. code-block:: python`` without running it, so a renamed
parameter would leave the quick start and the user guide silently wrong; this
runs every such block of the hand-written pages, each in a fresh namespace.
"""

import pathlib
import re
import textwrap
import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning

DOCS = pathlib.Path(__file__).parents[1] / "docs"
# Generated pages (API stubs, the gallery, the build) are not hand-written.
GENERATED = {"_build", "auto_examples", "gen_modules", "_templates"}
BLOCK = re.compile(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def code_blocks():
    for path in sorted(DOCS.rglob("*.rst")):
        if GENERATED.intersection(path.relative_to(DOCS).parts):
            continue
        text = path.read_text(encoding="utf-8")
        for number, match in enumerate(BLOCK.finditer(text), start=1):
            name = f"{path.relative_to(DOCS)}#{number}"
            yield pytest.param(textwrap.dedent(match.group(1)), id=name)


BLOCKS = list(code_blocks())


def test_the_docs_have_python_blocks():
    assert len(BLOCKS) >= 5, "the code-block pattern no longer finds the examples"


@pytest.mark.parametrize("code", BLOCKS)
def test_docs_python_block_runs(code, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # pages that save files write them here
    with warnings.catch_warnings():
        # A page should not show readers who copy its code a warning from the
        # estimators (other libraries' deprecations are not the page's fault).
        for category in (ConvergenceWarning, UserWarning, RuntimeWarning):
            warnings.simplefilter("error", category)
        exec(compile(code, "docs", "exec"), {})
    assert capsys.readouterr().out, "every example prints what it shows"
