"""Reporting training progress: scikit-learn's verbose lines or a progress bar.

Any ``verbose`` prints scikit-learn's MLP lines, one per epoch (``verbose=True``
or 1: only those). ``verbose >= 2`` adds a progress bar with the loss, the
validation loss and the time left: tqdm's when it is installed (the
``progress`` extra), otherwise plain lines carrying the same information.
"""

from __future__ import annotations

import sys
import time


class EpochReporter:
    """A ``train`` callback that reports each epoch, used as a context manager.

    Parameters
    ----------
    verbose : bool or int
        0/False: silent. 1/True: scikit-learn's lines, one per epoch. 2 or
        more: those lines and a progress bar.
    total : int
        Epoch budget, for the bar and the estimated time left.
    label : str or None
        Prefix of the bar (for example which random restart is running).
    """

    def __init__(self, verbose, total: int, label: str | None) -> None:
        self.verbose = int(verbose)
        self.total = total
        self.label = label
        self._bar = None
        self._started = time.perf_counter()
        self._epochs_seen = 0

    def __enter__(self) -> EpochReporter:
        if self.verbose >= 2:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=self.total, desc=self.label, unit="epoch")
        return self

    def __exit__(self, *exc_info) -> None:
        if self._bar is not None:
            self._bar.close()

    def __call__(self, history) -> None:
        if not self.verbose:
            return
        self._epochs_seen += 1
        epochs = history.epochs
        loss = epochs["loss"][-1]
        # scikit-learn's lines at every level; 2 or more adds the progress.
        self.message(f"Iteration {history.n_epochs}, loss = {loss:.8f}")
        if epochs.get("val_score"):
            self.message(f"Validation score: {epochs['val_score'][-1]:f}")
        if self.verbose == 1:
            return
        values = {"loss": f"{loss:.5g}"}
        if epochs.get("val_loss"):
            values["val_loss"] = f"{epochs['val_loss'][-1]:.5g}"
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(values, refresh=False)
            return
        elapsed = time.perf_counter() - self._started
        left = elapsed / self._epochs_seen * max(self.total - self._epochs_seen, 0)
        shown = "  ".join(f"{key} {value}" for key, value in values.items())
        prefix = f"{self.label}: " if self.label else ""
        print(
            f"{prefix}epoch {self._epochs_seen}/{self.total}  {shown}  "
            f"ETA {left:.1f}s (at most)",
            file=sys.stdout,
        )

    def message(self, text: str) -> None:
        """Print ``text`` when reporting (it goes around the bar, not through it)."""
        if not self.verbose:
            return
        if self._bar is not None:
            self._bar.write(text)
        else:
            print(text)
