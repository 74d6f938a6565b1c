"""``python -m skdeep`` (also the ``skdeep`` command): the estimator leaderboard demo.

Run ``python -m skdeep --help`` for the options; the work is done in
:mod:`skdeep._demo`.
"""

from __future__ import annotations

import sys

from ._demo.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
