"""What every benchmark prints about the machine: NumPy's BLAS and its threads."""

from __future__ import annotations


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
