"""Shared fixtures for the test suite."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A fresh seeded generator per test: tests never share random state."""
    return np.random.default_rng(20261122)


def pytest_addoption(parser):
    parser.addoption(
        "--sklearn-suites",
        action="store_true",
        help="also run scikit-learn's own MLP, neighbors and logistic regression "
        "test modules on skdeep's estimators (tests/sklearn_suites/)",
    )
