"""Where a training step's time goes: torch.profiler over a few steps of one configuration, after a warm-up.

    python benchmarks/profile_training.py [--arch mlp] [--batch 64] [--device auto] [--steps 50]

Prints wall ms per step, operator calls per step and the operators with the most CPU time. On a GPU, a step
whose CPU time is near its wall time is bound by launching kernels (Python and dispatcher), not by the GPU.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="mlp")
    parser.add_argument("--loss", default="bce")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    import torch
    from torch.profiler import ProfilerActivity, profile

    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.data import load_dataset
    from ganstudio.core.training import Trainer

    data = load_dataset("mnist", data_dir=args.data_dir)
    model = ModelConfig(arch=args.arch, spectral_norm=args.loss == "hinge")
    trainer = Trainer(model, TrainConfig(batch_size=args.batch, loss=args.loss, device=args.device), data)
    trainer.generator.train()
    trainer.discriminator.train()
    cuda = trainer.device.type == "cuda"

    def steps(n: int) -> float:
        start = time.perf_counter()
        losses = [trainer._train_step() for _ in range(n)]
        torch.stack(losses).cpu()
        return (time.perf_counter() - start) * 1000 / n

    steps(20)
    print(
        f"{args.arch} {args.loss} batch {args.batch} on {trainer.device}: {steps(args.steps):.2f} ms/step "
        "(losses read once)"
    )
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        steps(args.steps)
    averages = prof.key_averages()
    calls = sum(e.count for e in averages if e.key.startswith("aten::")) / args.steps
    print(f"aten operator calls per step (nested ones included): {calls:.0f}")
    if cuda:
        gpu_us = sum(e.self_device_time_total for e in averages) / args.steps
        print(f"GPU busy per step: {gpu_us / 1000:.2f} ms")
    print(averages.table(sort_by="self_cpu_time_total", row_limit=18, max_name_column_width=40))


if __name__ == "__main__":
    main()
