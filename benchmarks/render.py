"""Render speed: one sample through the app's onnxruntime backend vs the same generator in eager PyTorch (batch 1),
and a 64-sample grid. Both backends run in this process, interleaved, so the ratio is fair on a noisy machine."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # numpy's weight-read floor on one thread, like the app
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHIPPED_MNIST, print_table, summary, time_calls, write_results  # noqa: E402


def weight_read_floor(model_path: str, repeats: int, rounds: int) -> float | None:
    """Median ms of the same matrix-vector chain in plain numpy (one thread): what reading the weights costs.

    For an MLP generator a batch-1 pass is bound by reading its weight matrices, so this is the floor any
    backend pays; None for generators with convolutions, where it would not mean anything.
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(model_path).graph
    if any(
        node.op_type
        not in (
            "Gemm",
            "MatMul",
            "LeakyRelu",
            "Relu",
            "Tanh",
            "Reshape",
            "Add",
            "Mul",
            "Clip",
            "BatchNormalization",
            "Constant",
            "Identity",
        )
        for node in graph.node
    ):
        return None
    initializers = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    matrices = []
    for node in graph.node:
        if node.op_type in ("Gemm", "MatMul") and node.input[1] in initializers:
            weight = initializers[node.input[1]].astype(np.float32)
            trans_b = any(a.name == "transB" and a.i for a in node.attribute)
            matrices.append(np.ascontiguousarray(weight.T) if trans_b else weight)  # (in, out) each
    if not matrices:
        return None
    x = np.ones((1, matrices[0].shape[0]), np.float32)

    def chain() -> None:
        h = x
        for weight in matrices:
            h = h @ weight

    times: list[float] = []
    for _ in range(rounds):
        times += time_calls(chain, repeats)
    return summary(times)["median"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(SHIPPED_MNIST), help="an .onnx file with its run's checkpoint")
    parser.add_argument("--checkpoint", help="the model's checkpoint (default: next to the .onnx)")
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import onnxruntime  # noqa: F401  (the app's import order)
    import torch

    from ganstudio.core.checkpoint import load_generator
    from ganstudio.core.torch_backend import TorchGenerator
    from ganstudio.runtime.backends import OnnxGenerator
    from ganstudio.runtime.latent import sample_latents

    torch.set_num_threads(1)  # the app renders with one intra-op thread in both backends
    onnx_backend = OnnxGenerator(Path(args.model))
    checkpoint = Path(args.checkpoint) if args.checkpoint else Path(args.model).with_suffix(".safetensors")
    module, _, _, _ = load_generator(checkpoint)
    torch_backend = TorchGenerator(module, onnx_backend.info)
    info = onnx_backend.info
    z1 = sample_latents(1, info.latent_dim, seed=0)
    z64 = sample_latents(64, info.latent_dim, seed=1)
    label1 = np.zeros(1, np.int64) if info.num_classes else None
    label64 = (np.arange(64) % info.num_classes).astype(np.int64) if info.num_classes else None

    diff = float(np.abs(onnx_backend.generate(z64, label64) - torch_backend.generate(z64, label64)).max())
    results: dict[str, list[float]] = {k: [] for k in ("onnx_1", "torch_1", "onnx_64", "torch_64")}
    for _ in range(args.rounds):  # interleaved rounds: both backends see the same machine conditions
        results["onnx_1"] += time_calls(lambda: onnx_backend.generate(z1, label1), args.repeats)
        results["torch_1"] += time_calls(lambda: torch_backend.generate(z1, label1), args.repeats)
        results["onnx_64"] += time_calls(lambda: onnx_backend.generate(z64, label64), args.repeats // 20)
        results["torch_64"] += time_calls(lambda: torch_backend.generate(z64, label64), args.repeats // 20)
    stats = {k: summary(v) for k, v in results.items()}
    floor_ms = weight_read_floor(args.model, args.repeats, args.rounds)
    ratio = stats["torch_1"]["median"] / stats["onnx_1"]["median"]
    rows = [(k.replace("_", " batch "), f"{s['median']:.3f}", f"{s['p99']:.3f}", str(s["n"])) for k, s in stats.items()]
    print_table(
        f"Render path ({info.arch}, latent {info.latent_dim}, {Path(args.model).name}); max |onnx - torch| "
        f"= {diff:.2e}",
        rows,
        ("backend", "median ms", "p99 ms", "calls"),
    )
    print(
        f"\nonnxruntime is {ratio:.2f}x faster than eager torch at batch 1 (target >= 2x, < 1 ms); "
        f"64-sample grid {stats['onnx_64']['median']:.2f} ms (target < 15 ms)"
    )
    if floor_ms is not None:
        print(
            f"weight-read floor (the same matrix-vector products in plain numpy): {floor_ms:.3f} ms, so "
            f"onnxruntime spends {stats['onnx_1']['median'] - floor_ms:+.3f} ms beyond reading the weights and "
            f"torch {stats['torch_1']['median'] - floor_ms:+.3f} ms"
        )
    write_results(
        "render",
        {
            "model": args.model,
            "stats_ms": stats,
            "speedup_batch1": ratio,
            "max_abs_diff": diff,
            "weight_read_floor_ms": floor_ms,
        },
    )


if __name__ == "__main__":
    main()
