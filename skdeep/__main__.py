"""``python -m skdeep``: what this installation provides.

The leaderboard demo arrives with the estimators; until then this prints the
version, the public estimators and the contents of the NumPy core.
"""

from __future__ import annotations

import argparse
import sys

import skdeep
from skdeep import nn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="skdeep",
        description="scikit-learn-compatible learners on a pure-NumPy core.",
    )
    parser.add_argument("--version", action="version", version=skdeep.__version__)
    parser.parse_args(argv)

    print(f"skdeep {skdeep.__version__}")
    estimators = ", ".join(skdeep.ESTIMATORS) or "none yet (the NumPy core only)"
    print(f"Estimators: {estimators}")
    print("NumPy core, skdeep.nn:")
    print(
        "  layers:       Dense, Activation, Dropout, BatchNorm, LayerNorm, Sequential"
    )
    rows = [
        ("activations", nn.activations.ACTIVATIONS),
        ("losses", nn.losses.LOSSES),
        ("optimizers", nn.optimizers.OPTIMIZERS),
        ("schedules", nn.schedules.SCHEDULES),
        ("initializers", nn.initializers.INITIALIZERS),
    ]
    for label, table in rows:
        print(f"  {label + ':':<13} {', '.join(table)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
