"""What every benchmark prints about the machine: BLAS, threads, resident memory."""

from __future__ import annotations

import os
import resource
import sys


def blas_description() -> tuple[str, int]:
    """Name of NumPy's BLAS and its thread count, from threadpoolctl."""
    import threadpoolctl

    infos = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    mine = [i for i in infos if "numpy" in i["filepath"]] or infos
    if not mine:
        return "unknown BLAS", 1
    info = mine[0]
    name = (
        f"{info['internal_api']} {info.get('version')} "
        f"({info.get('architecture')}, {info.get('threading_layer')})"
    )
    return name, info["num_threads"]


def current_rss_mb() -> float:
    """Resident set size now (Linux ``/proc``; 0 where it is not available)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """Peak resident set size of this process.

    Linux's ``VmHWM`` first: ``ru_maxrss`` survives ``exec``, so a child would
    report its parent's peak if that was higher (the parent made the data).
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
