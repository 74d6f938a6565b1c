"""The package as a whole: public names, the command line, the core's randomness.

What the core imports is checked with the other layout rules in test_layout.py.
"""

import ast
import pathlib
import subprocess
import sys

import skdeep
from skdeep import nn

CORE = pathlib.Path(skdeep.__file__).parent / "nn"


def test_version_is_a_string():
    assert isinstance(skdeep.__version__, str) and skdeep.__version__[0].isdigit()


def test_nn_exposes_the_documented_public_names():
    for name in (
        "Dense",
        "Activation",
        "Dropout",
        "BatchNorm",
        "LayerNorm",
        "Sequential",
        "check_gradients",
        "train",
        "activations",
        "losses",
        "initializers",
        "optimizers",
        "schedules",
    ):
        assert hasattr(nn, name), name
    assert set(nn.__all__) <= set(dir(nn))


def test_core_code_draws_randomness_only_from_a_given_generator():
    # In code (docstring examples aside) the only np.random name allowed is the
    # Generator type: no global-state functions, no generators made internally.
    paths = sorted(CORE.rglob("*.py"))
    assert CORE / "layers.py" in paths  # an empty glob would check nothing
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "random"
            ):
                assert node.attr == "Generator", f"{path.name}: np.random.{node.attr}"


def test_python_dash_m_skdeep_version_prints_the_version():
    # The demo itself (python -m skdeep) is tested in tests/test_main.py.
    result = subprocess.run(
        [sys.executable, "-m", "skdeep", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip() == skdeep.__version__
