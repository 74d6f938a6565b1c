"""One BLAS thread for a while, safely from any number of threads at once.

A BLAS thread count is process-wide, and a threadpoolctl limit records the
count it finds on entry and puts that back on exit. Entered and left from
several threads at once such limits restore in the wrong order: thread A saves
2 and sets 1, thread B saves 1, A restores 2, B restores 1, and the process is
left on one thread for good. Here the first thread in sets the limit and the
last one out restores what the first one found.
"""

from __future__ import annotations

import contextlib
import threading

import threadpoolctl


class _SharedSingleThreadLimit:
    """A reference-counted ``limits=1`` on the BLAS libraries of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._limiter = None
        self._controller = None  # inspecting the loaded libraries once is enough

    @contextlib.contextmanager
    def __call__(self):
        with self._lock:
            if self._holders == 0:
                if self._controller is None:
                    self._controller = threadpoolctl.ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    self._limiter.restore_original_limits()
                    self._limiter = None

    def __deepcopy__(self, memo):
        # A handle on the process's libraries: a copy is the same handle.
        return self


single_blas_thread = _SharedSingleThreadLimit()
"""``with single_blas_thread():`` runs the block with BLAS on one thread.

While any thread is inside, the whole process runs BLAS on one thread: a large
problem computed meanwhile in another thread runs slower, never wrongly.
"""
