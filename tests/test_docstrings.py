"""Every public class and function has a numpydoc docstring with a doctest example.

The public API is what a user can import: ``skdeep.__all__``, ``skdeep.nn.__all__``,
the public classes and functions of the building-block modules of ``skdeep.nn``
and of ``skdeep.plot``. The examples themselves run as doctests (pytest's
``--doctest-modules``); here we check that they exist and that the docstring
follows numpydoc's rules for the sections a reader relies on.
"""

import importlib
import inspect

import pytest
from numpydoc.docscrape import NumpyDocString
from numpydoc.validate import validate

import skdeep
from skdeep import nn

BUILDING_BLOCKS = [
    "skdeep.nn.activations",
    "skdeep.nn.losses",
    "skdeep.nn.initializers",
    "skdeep.nn.optimizers",
    "skdeep.nn.schedules",
    "skdeep.nn.rows",
    "skdeep.plot",
]

# numpydoc's checks that every public docstring must pass:
#   GL08 the object has a docstring           SS01 it has a one-line summary
#   GL06 no unknown section names             GL07 sections in numpydoc's order
#   PR01 every parameter is documented        PR02 no documented parameter is unknown
#   RT01 a function that returns says what    EX01 it has an Examples section
# (Descriptions, See Also and extended summaries are left to judgement.)
REQUIRED_CHECKS = ("GL08", "SS01", "GL06", "GL07", "PR01", "PR02", "RT01", "EX01")


def _is_public_object(obj) -> bool:
    return inspect.isclass(obj) or inspect.isfunction(obj)


def public_objects() -> dict[str, object]:
    """Qualified name -> object, for every public class and function."""
    found = {}
    for package in (skdeep, nn):
        for name in package.__all__:
            obj = getattr(package, name)
            if _is_public_object(obj):
                found[f"{package.__name__}.{name}"] = obj
    for module_name in BUILDING_BLOCKS:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            # Only what the module defines, not what it imports.
            if (
                not name.startswith("_")
                and _is_public_object(obj)
                and obj.__module__ == module_name
            ):
                found[f"{module_name}.{name}"] = obj
    return found


PUBLIC = public_objects()


def test_the_public_api_is_found():
    # A guard against the walk silently finding nothing: a few known names.
    for name in (
        "skdeep.MLPClassifier",
        "skdeep.KNN",
        "skdeep.nn.Sequential",
        "skdeep.nn.train",
        "skdeep.nn.optimizers.Adam",
        "skdeep.nn.schedules.get",
        "skdeep.nn.rows.row_keys",
        "skdeep.plot.TrainingHistoryDisplay",
        "skdeep.save",
    ):
        assert name in PUBLIC, name
    assert len(PUBLIC) > 60


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_docstring_passes_the_required_numpydoc_checks(name):
    errors = [
        f"{code}: {message}"
        for code, message in validate(name)["errors"]
        if code in REQUIRED_CHECKS
    ]
    assert not errors, f"{name}:\n" + "\n".join(errors)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_examples_section_holds_a_doctest(name):
    examples = NumpyDocString(inspect.getdoc(PUBLIC[name]) or "")["Examples"]
    assert any(line.lstrip().startswith(">>> ") for line in examples), (
        f"{name}: the Examples section has no '>>> ' line to run as a doctest"
    )
