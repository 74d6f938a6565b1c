"""k-nearest neighbours: exact classification and regression.

:class:`KNN` and :class:`KNNRegressor` (in ``_knn``) are the scikit-learn
shells; ``_distances`` runs the chunked, threaded exact search, with one
strategy object per metric from ``_metrics``.
"""

from ._knn import KNN, KNNRegressor

__all__ = ["KNN", "KNNRegressor"]
