"""scikit-learn's estimator checks over every registered configuration of every
public estimator (tests/estimator_configurations.py), with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import skdeep

from estimator_configurations import CONFIGURATIONS


@parametrize_with_checks(CONFIGURATIONS, expected_failed_checks=lambda est: {})
def test_scikit_learn_compatible(estimator, check):
    check(estimator)


def test_every_public_estimator_has_configurations_and_nothing_else_does():
    # The registry is what every cross-cutting test runs: a public estimator
    # missing from it would escape them all.
    assert {type(est).__name__ for est in CONFIGURATIONS} == set(skdeep.ESTIMATORS)
    assert all(
        type(est) is getattr(skdeep, type(est).__name__) for est in CONFIGURATIONS
    )
