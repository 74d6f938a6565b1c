"""scikit-learn's sklearn/neural_network/tests/test_mlp.py on skdeep's MLPs."""

from sklearn_suites.harness import load_suite

globals().update(load_suite("sklearn.neural_network.tests.test_mlp"))
