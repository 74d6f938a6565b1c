"""The ``python -m skdeep`` demo: a cross-validated leaderboard of the estimators.

- :mod:`.data`: the built-in datasets and the user's CSV file, checked.
- :mod:`.candidates`: each estimator in a StandardScaler pipeline, with its grid.
- :mod:`.leaderboard`: the searches, the held-out scores and the table.
- :mod:`.figure`: the best MLP's training curves, when matplotlib is installed.
- :mod:`.cli`: the command line that ties them together.
"""
