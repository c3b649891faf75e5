"""A short check of GAN Studio on a CUDA machine: every architecture and objective trains on the GPU, saves a
checkpoint that loads on a CPU, resumes on the GPU, and exports an ONNX file that agrees with the CUDA
generator; images/s at batch 64 per architecture; which onnxruntime providers exist and whether the app's
backend renders on CUDA. Prints a table and writes benchmarks/results/latest/gpu_check.json.

    python benchmarks/gpu_check.py [--data-dir D] [--steps 200] [--batch-sizes 64,256,1024] [--name gpu_check]

Also: images/s of unconditional BCE training per architecture at several batch sizes (the sizes a user with a big
GPU would pick), and how long the EMA generator's batch-norm calibration (16k latents) takes there.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, write_results


def case_name(arch: str, loss: str, conditional: bool) -> str:
    return f"{arch} {loss}{' conditional' if conditional else ''}"


CASES = [
    ("mlp", "bce", False),
    ("mlp", "hinge", False),
    ("mlp", "wgan-gp", False),
    ("mlp", "hinge", True),
    ("dcgan", "bce", False),
    ("dcgan", "hinge", True),
    ("dcgan", "wgan-gp", False),
]


def check_case(arch: str, loss: str, conditional: bool, data, steps: int, workdir: Path, device: str) -> dict:
    import torch

    from ganstudio.core.checkpoint import load_generator
    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.events import StepMetrics, TrainingFinished
    from ganstudio.core.training import Trainer
    from ganstudio.runtime.backends import OnnxGenerator

    run_dir = workdir / f"{arch}-{loss}-{'cond' if conditional else 'uncond'}"
    model = ModelConfig(arch=arch, num_classes=data.num_classes if conditional else 0, class_names=data.class_names)
    train = TrainConfig(
        loss=loss,
        batch_size=64,
        steps=steps,
        device=device,
        sample_every=steps,
        checkpoint_every=steps,
        augment="translate" if arch == "mlp" else "none",
    )
    trainer = Trainer(model, train, data, run_dir)
    rates, finished = [], None
    for event in trainer.run():
        if isinstance(event, StepMetrics) and event.step > steps // 2:
            rates.append(event.images_per_second)
        elif isinstance(event, TrainingFinished):
            finished = event
    assert finished is not None and finished.reason == "completed", finished
    assert next(trainer.generator.parameters()).device.type == device
    trainer._ema_calibration = None
    start = time.perf_counter()
    trainer.calibrate_ema()
    if device == "cuda":
        torch.cuda.synchronize()
    calibrate_ms = (time.perf_counter() - start) * 1000

    # The checkpoint written on the GPU loads on the CPU and the exported ONNX matches the CUDA generator.
    cpu_generator, *_ = load_generator(run_dir / "checkpoint.safetensors")
    z = torch.randn(16, model.latent_dim)
    labels = torch.arange(16) % model.num_classes if conditional else None
    with torch.no_grad():
        device_labels = None if labels is None else labels.to(device)
        cuda_out = trainer.sampling_generator().eval()(z.to(device), device_labels).cpu()
        cpu_out = cpu_generator(z, labels)
    onnx = OnnxGenerator(run_dir / "generator.onnx")
    onnx_out = onnx.generate(z.numpy(), None if labels is None else labels.numpy())
    # Resume on the GPU for a few more steps.
    resumed = Trainer.from_checkpoint(run_dir / "checkpoint.safetensors", data, steps=steps + 20)
    for _ in resumed.run(export_on_finish=False):
        pass
    return {
        "case": case_name(arch, loss, conditional),
        "img_per_s": float(np.median(rates)),
        "cpu_vs_cuda": float((cpu_out - cuda_out).abs().max()),
        "onnx_vs_cuda": float(np.abs(onnx_out - (cuda_out.numpy() + 1) / 2).max()),  # ONNX gives [0, 1]
        "resumed_to": resumed.step,
        "calibrate_ms": calibrate_ms,
    }


def throughput(arch: str, batch_size: int, data, seconds: float, device: str) -> float:
    """Median images/s of unconditional BCE training at one batch size, after a warm-up."""
    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.events import StepMetrics
    from ganstudio.core.training import Trainer

    train = TrainConfig(
        batch_size=batch_size,
        steps=10**9,
        minutes=seconds / 60,
        device=device,
        sample_every=10**9,
        checkpoint_every=10**9,
    )
    trainer = Trainer(ModelConfig(arch=arch), train, data)
    rates = [
        e.images_per_second
        for e in trainer.run(export_on_finish=False)
        if isinstance(e, StepMetrics) and e.elapsed_seconds > seconds / 3
    ]
    return float(np.median(rates)) if rates else float("nan")


def onnxruntime_gpu(model_path: Path) -> dict:
    import onnxruntime as ort

    from ganstudio.runtime.backends import OnnxGenerator

    available = ort.get_available_providers()
    result = {"onnxruntime": ort.__version__, "providers": available}
    if "CUDAExecutionProvider" not in available:
        result["cuda_render"] = "CUDAExecutionProvider not in this onnxruntime build (CPU package)"
        return result
    backend = OnnxGenerator(model_path, providers=["CUDAExecutionProvider"])
    z = np.random.default_rng(0).standard_normal((64, backend.info.latent_dim)).astype(np.float32)
    reference = OnnxGenerator(model_path).generate(z, None)
    backend.generate(z, None)
    start = time.perf_counter()
    for _ in range(100):
        out = backend.generate(z, None)
    result["cuda_render"] = {
        "grid64_ms": (time.perf_counter() - start) * 10,
        "max_abs_vs_cpu": float(np.abs(out - reference).max()),
        "session_providers": backend.providers,
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--device", default="cuda", help="cuda; cpu only to test this script itself")
    parser.add_argument("--batch-sizes", default="64,256,1024", help="for the throughput sweep; empty to skip")
    parser.add_argument("--sweep-seconds", type=float, default=6.0, help="training seconds per sweep point")
    parser.add_argument("--name", default="gpu_check", help="results file name (benchmarks/results/latest/NAME.json)")
    args = parser.parse_args()

    import torch

    from ganstudio.core.data import load_dataset

    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA GPU here; nothing to check")
        return 1
    device_name = torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu"
    print(f"torch {torch.__version__}, {device_name}")
    data = load_dataset("mnist", data_dir=args.data_dir)
    rows, results, failures = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for arch, loss, conditional in CASES:
            try:
                r = check_case(arch, loss, conditional, data, args.steps, Path(tmp), args.device)
            except Exception as exc:  # report every case, then fail
                failures += 1
                traceback.print_exc()
                r = {"case": case_name(arch, loss, conditional), "error": repr(exc)}
            results.append(r)
            rows.append(
                (
                    r["case"],
                    f"{r.get('img_per_s', 0):,.0f}",
                    f"{r.get('cpu_vs_cuda', float('nan')):.1e}",
                    f"{r.get('onnx_vs_cuda', float('nan')):.1e}",
                    str(r.get("resumed_to", r.get("error"))),
                    f"{r.get('calibrate_ms', float('nan')):.0f}",
                )
            )
        ort_result = onnxruntime_gpu(Path(tmp) / "mlp-bce-uncond" / "generator.onnx")
    print_table(
        f"Training on {device_name}, batch 64",
        rows,
        ("case", "img/s", "|cpu - cuda|", "|onnx - cuda|", "resumed to", "calibrate ms"),
    )
    sweep, sweep_rows = {}, []
    for batch_size in [int(b) for b in args.batch_sizes.split(",") if b.strip()]:
        for arch in ("mlp", "dcgan"):
            rate = throughput(arch, batch_size, data, args.sweep_seconds, args.device)
            sweep[f"{arch}/{batch_size}"] = rate
            sweep_rows.append((arch, str(batch_size), f"{rate:,.0f}"))
    if sweep_rows:
        print_table(f"Unconditional BCE training on {device_name}", sweep_rows, ("arch", "batch", "img/s"))
    print("onnxruntime:", ort_result)
    write_results(
        args.name,
        {
            "device": device_name,
            "torch": torch.__version__,
            "cases": results,
            "throughput": sweep,
            "onnxruntime": ort_result,
        },
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
