"""scikit-learn's sklearn/neighbors/tests/test_neighbors.py on skdeep's KNN and
KNNRegressor."""

from sklearn_suites.harness import load_suite

globals().update(load_suite("sklearn.neighbors.tests.test_neighbors"))
