"""scikit-learn's sklearn/linear_model/tests/test_logistic.py on skdeep's
LogisticRegression."""

from sklearn_suites.harness import load_suite

globals().update(load_suite("sklearn.linear_model.tests.test_logistic"))
