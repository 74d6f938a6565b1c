"""The package's layout rules (the developers' guide), checked on the source.

* at most seven modules at the package root;
* imports point down only: ``nn`` (the NumPy core) imports nothing of skdeep
  outside itself and no scikit-learn; the root helpers (``_validation``,
  ``_fit_state``, ``_warnings``, ``_version``) no estimator family; a family
  no other family; ``persistence`` the families; the command line and the
  demo what they run;
* no module over 600 lines, no function over 80 lines of code.

Imports are read with :mod:`ast` wherever they are (module level or inside a
function), relative ones resolved against the importing module, so that
``from .. import x`` counts as much as ``import skdeep.x``.
"""

import ast
from pathlib import Path

import pytest

import skdeep

PACKAGE = Path(skdeep.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_ROOT_MODULES = 7
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

# The layers, bottom up: a module may import its own part of the package and
# the layers below its own. The root helpers may also import one another.
HELPERS = ("_validation", "_fit_state", "_warnings", "_version")
FAMILIES = ("linear_model", "neural_network", "neighbors")
LAYERS = [
    ("nn",),
    HELPERS,
    FAMILIES,
    ("persistence",),
    ("plot",),
    ("__init__",),  # re-exports the estimators, save and load
    ("_demo",),
    ("__main__",),
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    """Whether ``name`` (skdeep.a.b) is a module or package of skdeep."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(source: str, module: str, is_package: bool) -> list:
    """``(line, absolute name)`` of every module the source imports, at any depth.

    ``from a import b`` imports ``a.b`` when that is a skdeep module, else ``a``;
    relative imports are resolved from ``module``'s package.
    """
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                kept = ".".join(parts[: len(parts) - node.level + 1])
                base = ".".join(filter(None, [kept, node.module]))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                imported = candidate if _is_module(candidate) else base
                found.append((node.lineno, imported))
    return found


def _imports_of(path: Path) -> list:
    source = path.read_text(encoding="utf-8")
    return imported_modules(source, _module_name(path), path.name == "__init__.py")


def part_of_package(name: str) -> str | None:
    """The part of skdeep a module belongs to (``nn``, ``plot``, ``__init__``,
    ...), or None outside skdeep."""
    parts = name.split(".")
    if parts[0] != "skdeep":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _allowed(importer: str, imported: str) -> bool:
    if importer == imported:
        return True
    if importer in HELPERS and imported in HELPERS:
        return True
    return RANK[imported] < RANK[importer]


def layering_violations(path_name: str, module: str, imports: list) -> list[str]:
    importer = part_of_package(module)
    violations = []
    for line, name in imports:
        if name.split(".")[0] == "sklearn" and importer == "nn":
            violations.append(f"{path_name}:{line}: the core imports {name}")
        imported = part_of_package(name)
        if imported is None:
            continue
        if imported not in RANK:
            violations.append(f"{path_name}:{line}: {name} is in no layer of LAYERS")
        elif not _allowed(importer, imported):
            violations.append(f"{path_name}:{line}: {importer} imports {name}")
    return violations


def _code_lines(function) -> int:
    """Lines from the first statement after the docstring to the end."""
    body = function.body
    if ast.get_docstring(function, clean=False) is not None:
        body = body[1:]
    return function.end_lineno - body[0].lineno + 1 if body else 0


def test_the_package_has_modules_to_check():
    names = {_module_name(path) for path in MODULES}
    assert {"skdeep", "skdeep.nn.layers", "skdeep.persistence"} <= names


def test_every_part_of_the_package_is_in_a_layer():
    parts = {part_of_package(_module_name(path)) for path in MODULES}
    assert parts == set(RANK)


def test_the_package_root_holds_at_most_seven_modules():
    root = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert root and len(root) <= MAX_ROOT_MODULES, root


def test_the_core_imports_neither_scikit_learn_nor_skdeep_outside_nn():
    core = sorted((PACKAGE / "nn").rglob("*.py"))
    # An empty glob would check nothing.
    assert {"__init__.py", "layers.py", "training.py"} <= {p.name for p in core}
    violations = []
    for path in core:
        name = str(path.relative_to(PACKAGE.parent))
        violations += layering_violations(name, _module_name(path), _imports_of(path))
    assert not violations, "\n".join(violations)


def test_imports_point_down_only():
    violations = []
    for path in MODULES:
        name = str(path.relative_to(PACKAGE.parent))
        violations += layering_violations(name, _module_name(path), _imports_of(path))
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize(
    ("source", "module", "is_package", "offence"),
    [
        ("from .. import _validation", "skdeep.nn.layers", False, "nn imports"),
        ("from ..linear_model import X", "skdeep.nn.layers", False, "nn imports"),
        ("from .. import x", "skdeep.nn", True, "nn imports"),
        ("import skdeep.persistence", "skdeep.nn.layers", False, "nn imports"),
        ("def f():\n    import sklearn.base", "skdeep.nn.layers", False, "core"),
        ("from sklearn import base", "skdeep.nn.training", False, "core imports"),
        ("from ..neighbors import KNN", "skdeep.linear_model._base", False, "imports"),
        ("from .. import KNN", "skdeep.neural_network._base", False, "imports"),
        ("from .. import __version__", "skdeep.persistence._x", False, "imports"),
        ("from .linear_model import X", "skdeep._validation", False, "imports"),
        ("from .. import plot", "skdeep.persistence", True, "imports"),
        ("from ._x import y", "skdeep._unlisted", False, "in no layer"),
    ],
)
def test_the_layering_check_catches_upward_and_core_imports(
    source, module, is_package, offence
):
    # Against a check that could not fail: each of these breaks a rule.
    imports = imported_modules(source, module, is_package)
    (violation,) = layering_violations("m.py", module, imports)
    assert offence in violation


@pytest.mark.parametrize(
    ("source", "module", "is_package"),
    [
        ("from . import activations", "skdeep.nn", True),
        ("from .layers import Dense\nimport numpy", "skdeep.nn.network", False),
        ("from .. import nn\nfrom .._warnings import warn", "skdeep.neighbors._knn", 0),
        ("from .._validation import as_generator", "skdeep.linear_model._base", 0),
        ("from ._warnings import warn", "skdeep._validation", False),
        ("from ..neighbors import KNN", "skdeep.persistence._allowlist", False),
        ("from ..plot import TrainingHistoryDisplay", "skdeep._demo.figure", False),
        ("import skdeep\nimport sklearn", "skdeep._demo.cli", False),
    ],
)
def test_the_layering_check_lets_imports_that_point_down_pass(
    source, module, is_package
):
    imports = imported_modules(source, module, is_package)
    assert imports
    assert layering_violations("m.py", module, imports) == []


def test_no_module_is_over_600_lines():
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in MODULES
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long


def test_no_function_is_over_80_lines_of_code():
    long = {}
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if (n := _code_lines(node)) > MAX_FUNCTION_LINES:
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    long[f"{where} {node.name}"] = n
    assert not long, long


def test_function_length_starts_after_the_docstring():
    tree = ast.parse(
        'def f():\n    """Doc.\n\n    More.\n    """\n    a = 1\n\n    return a\n'
    )
    assert _code_lines(tree.body[0]) == 3
    assert _code_lines(ast.parse("def g():\n    '''Only a docstring.'''").body[0]) == 0
