"""How close does the skdeep.nn core come to the speed of its own GEMMs?

Measured: one training step without the optimizer update -- forward pass,
softmax cross-entropy value and gradient, backward pass -- of the MLP
Dense(784→512)-ReLU-Dense(512→512)-ReLU-Dense(512→10) on a batch of 256 rows
(float32 by default). The reference runs only the matrix products that step
needs, as ``np.matmul`` calls with preallocated ``out=`` on arrays of the same
shapes, dtype and memory layout, in the same process and interleaved with the
skdeep timings, so that both see the same BLAS and the same machine load.

FLOPs: a GEMM of an (m, k) by a (k, n) matrix counts 2·m·k·n. A step has eight:
three forward products ``X·W``, three weight gradients ``Xᵀ·dZ`` and two input
gradients ``dZ·Wᵀ`` (second and third Dense layers; the first layer's input
gradient is not needed, so neither skdeep nor the reference computes it).
Bias, ReLU and loss work is not counted: it is what the ratio
``skdeep GFLOP/s / matmul GFLOP/s`` (= matmul time / skdeep time) charges as
overhead. Times are the best (and median) of ``--repeat`` blocks of
``--number`` steps each, after a warm-up, with ``time.perf_counter``.

If PyTorch is installed it is timed on the same step (same weights, data and
thread count) after the NumPy timings; it is never required.

Run: ``python benchmarks/bench_core.py [--repeat 7] [--dtype float64] ...``
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import threadpoolctl
from _machine import blas_description  # benchmarks/ is on sys.path for scripts

from skdeep import nn

N_FEATURES = 784
HIDDEN = (512, 512)
N_CLASSES = 10
MATMUL = "np.matmul (8 GEMMs only)"
SKDEEP = "skdeep fwd+loss+bwd"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--repeat", type=int, default=7, help="timed blocks")
    parser.add_argument("--number", type=int, default=50, help="steps per block")
    parser.add_argument("--warmup", type=int, default=20, help="untimed steps")
    parser.add_argument(
        "--threads", type=int, default=None, help="limit BLAS threads (default: as is)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    return parser.parse_args()


def time_interleaved(
    fns: dict[str, Callable[[], object]], repeat: int, number: int, warmup: int
) -> dict[str, list[float]]:
    """Seconds per call of each function, one list entry per block of ``number``.

    The functions take turns block by block, so load from other processes hits
    all of them alike; the garbage collector is off while timing (as in timeit).
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for name, fn in fns.items():
                start = time.perf_counter()
                for _ in range(number):
                    fn()
                times[name].append((time.perf_counter() - start) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return times


def make_skdeep_step(X, Y, dtype, rng):
    net = nn.Sequential(
        [
            layer
            for n_out in HIDDEN
            for layer in (nn.Dense(n_out), nn.Activation("relu"))
        ]
        + [nn.Dense(N_CLASSES)]
    )
    net.build(X.shape[1], rng, dtype)
    loss = nn.losses.get("softmax_cross_entropy")

    def step():
        z = net.forward(X, training=True)
        _, dz = loss.value_and_gradient(Y, z)
        net.backward(dz, input_grad=False)

    return net, step


def make_matmul_step(X, weights, rng):
    """The eight GEMMs of a step, on fresh arrays shaped like skdeep's.

    Layer i maps inputs A[i] (batch, k) to scores Z[i] (batch, n) with W[i]
    (k, n): ``Z = A @ W``, ``dW = A.T @ dZ`` and, except for the first layer,
    ``dA = dZ @ W.T``. Every array is C-contiguous and the transposes are
    views, as in skdeep.
    """
    dtype = X.dtype
    batch = X.shape[0]
    W = [w.copy() for w in weights]
    A = [X] + [rng.random((batch, w.shape[0]), dtype=dtype) for w in W[1:]]
    Z = [np.empty((batch, w.shape[1]), dtype) for w in W]
    dZ = [rng.standard_normal((batch, w.shape[1]), dtype=dtype) for w in W]
    dW = [np.empty_like(w) for w in W]
    dA = [None] + [np.empty_like(a) for a in A[1:]]
    layers = range(len(W))

    def step():
        for i in layers:
            np.matmul(A[i], W[i], out=Z[i])
        for i in reversed(layers):
            np.matmul(A[i].T, dZ[i], out=dW[i])
            if i > 0:
                np.matmul(dZ[i], W[i].T, out=dA[i])

    # Each of Z, dW and dA costs 2·batch·k·n; the first layer has no dA.
    per_layer = [2 * batch * w.shape[0] * w.shape[1] for w in W]
    flops = 2 * sum(per_layer) + sum(per_layer[1:])
    return step, flops


def make_torch_step(X, labels, weights, n_threads):
    """The same step in PyTorch, or None if it is not installed."""
    try:
        import torch
    except ImportError:
        return None, None
    torch.set_num_threads(n_threads)
    layers = []
    for i, w in enumerate(weights):
        linear = torch.nn.Linear(*w.shape, dtype=getattr(torch, str(X.dtype)))
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
            linear.bias.zero_()
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    X_t = torch.from_numpy(X)
    labels_t = torch.from_numpy(labels)

    def step():
        model.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(X_t), labels_t).backward()

    return step, f"torch {torch.__version__}, threads={torch.get_num_threads()}"


def main() -> None:
    args = parse_args()
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(args.seed)
    X = rng.random((args.batch_size, N_FEATURES), dtype=dtype)
    labels = rng.integers(0, N_CLASSES, size=args.batch_size)
    Y = np.eye(N_CLASSES, dtype=dtype)[labels]

    limits = (
        threadpoolctl.threadpool_limits(args.threads, user_api="blas")
        if args.threads
        else threadpoolctl.threadpool_limits(None)
    )
    with limits:
        blas, n_threads = blas_description()
        net, skdeep_step = make_skdeep_step(X, Y, dtype, rng)
        weights = [layer.W for layer in net.layers if isinstance(layer, nn.Dense)]
        matmul_step, flops = make_matmul_step(X, weights, rng)
        times = time_interleaved(
            {MATMUL: matmul_step, SKDEEP: skdeep_step},
            args.repeat,
            args.number,
            args.warmup,
        )
        torch_step, torch_name = (None, None)
        if not args.no_torch:
            torch_step, torch_name = make_torch_step(X, labels, weights, n_threads)
        if torch_step is not None:
            times |= time_interleaved(
                {torch_name: torch_step}, args.repeat, args.number, args.warmup
            )

    sizes = "-".join(str(n) for n in (N_FEATURES, *HIDDEN, N_CLASSES))
    print(f"skdeep core: MLP {sizes}, batch {args.batch_size}, {dtype}")
    print(f"numpy {np.__version__} | BLAS {blas}, num_threads={n_threads}")
    print(f"os.cpu_count()={os.cpu_count()} | {flops / 1e9:.4f} GFLOP per step")
    print(f"best / median of {args.repeat} x {args.number} steps\n")
    header = f"{'':30} {'ms best':>8} {'ms med':>8} {'GFLOP/s':>8}  vs matmul"
    print(header)
    print("-" * len(header))
    best = {name: min(t) for name, t in times.items()}
    reference = best[MATMUL]
    for name, t in times.items():
        ratio = reference / best[name]
        print(
            f"{name:30} {best[name] * 1e3:8.3f} {statistics.median(t) * 1e3:8.3f} "
            f"{flops / best[name] / 1e9:8.1f}  {ratio:9.3f}"
        )
    print()
    ratio = reference / best[SKDEEP]
    verdict = "PASS" if ratio >= 0.8 else "FAIL"
    print(f"skdeep GFLOP/s / matmul GFLOP/s = {ratio:.3f} (target >= 0.8: {verdict})")
    if torch_step is None:
        reason = "--no-torch given" if args.no_torch else "torch is not installed"
        print(f"PyTorch row skipped: {reason}.")
    else:
        print(f"skdeep time / torch time = {best[SKDEEP] / best[torch_name]:.3f}")


if __name__ == "__main__":
    main()
