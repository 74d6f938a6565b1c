"""The examples gallery: every examples/plot_*.py runs, on a small budget.

Each example reads ``SKDEEP_EXAMPLE_BUDGET`` (1 is the full example) and
scales its epochs, grids and resolutions down with it, so that running them
all here stays fast while catching an example that an API change broke.
"""

import ast
import os
import pathlib
import subprocess
import sys

import pytest

import skdeep

EXAMPLES_DIR = pathlib.Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))
BUDGET_VARIABLE = "SKDEEP_EXAMPLE_BUDGET"
SMALL_BUDGET = "0.05"


def test_the_gallery_is_found():
    # A moved examples directory must not turn the tests below into no tests.
    assert len(EXAMPLES) >= 12, EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_reads_the_budget_variable(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reads = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) in ("os.environ.get", "os.getenv")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == BUDGET_VARIABLE
    ]
    assert reads, f"{path.name} does not read os.environ.get({BUDGET_VARIABLE!r})"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_has_a_sphinx_gallery_title(path):
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.name} has no module docstring"
    title, underline = docstring.splitlines()[:2]
    assert set(underline) == {"="} and len(underline) >= len(title), path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs_on_a_small_budget(path, tmp_path):
    # Run the skdeep under test (this checkout), not whatever is installed.
    source_root = str(pathlib.Path(skdeep.__file__).resolve().parents[1])
    env = {
        **os.environ,
        BUDGET_VARIABLE: SMALL_BUDGET,
        "MPLBACKEND": "Agg",
        "PYTHONPATH": os.pathsep.join(
            [source_root, *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,  # an example writing files must not litter the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"{path.name} failed (exit status {result.returncode}):\n{result.stderr}"
    )
