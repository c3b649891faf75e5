"""Images per second on a CUDA GPU with and without the speed options (bf16 mixed precision, torch.compile):
the default recipe (MLP, 28x28 grayscale, batch 128) and DCGAN at 64x64 RGB (batch 128).

Times whole training steps (`Trainer._train_step`, D and G updates, EMA) on random uint8 images already on the
GPU, after a warm-up that includes compiling; median of timed windows. Prints "no CUDA" and exits on a machine
without a CUDA GPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, write_results

RECIPES = {
    "default (mlp 28x28x1)": dict(arch="mlp", image_size=28, channels=1),
    "dcgan 64x64x3": dict(arch="dcgan", image_size=64, channels=3),
}
OPTIONS = {
    "fp32": dict(mixed_precision=False, compile_networks=False),
    "bf16": dict(mixed_precision=True, compile_networks=False),
    "compile": dict(mixed_precision=False, compile_networks=True),
    "bf16+compile": dict(mixed_precision=True, compile_networks=True),
}


def measure(recipe: dict, options: dict, seconds: float, warmup: int) -> float:
    import numpy as np
    import torch

    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.data.dataset import ImageDataset
    from ganstudio.core.training import Trainer

    size, channels = recipe["image_size"], recipe["channels"]
    images = np.random.default_rng(0).integers(0, 256, (8192, channels, size, size), dtype=np.uint8)
    data = ImageDataset(images, np.zeros(len(images), np.int64), (), "random", "")
    config = TrainConfig(dataset="random", device="cuda", **options)
    trainer = Trainer(ModelConfig(**recipe), config, data)
    for _ in range(warmup):
        trainer._train_step()
    torch.cuda.synchronize()
    rates = []
    for _ in range(5):
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 5:
            trainer._train_step()
            steps += 1
        torch.cuda.synchronize()
        rates.append(steps * config.batch_size / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="timed seconds per configuration")
    parser.add_argument("--warmup", type=int, default=30, help="untimed steps first (compiling happens here)")
    parser.add_argument("--tag", default="gpu_speed")
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("no CUDA: nothing to measure (the speed options are no-ops on a CPU)")
        return
    rows, results = [], {}
    for recipe_name, recipe in RECIPES.items():
        baseline = None
        for option_name, options in OPTIONS.items():
            rate = measure(recipe, options, args.seconds, args.warmup)
            baseline = baseline or rate
            results[f"{recipe_name}/{option_name}"] = rate
            rows.append((recipe_name, option_name, f"{rate:,.0f}", f"{rate / baseline:.2f}x"))
    print_table(f"Training on {torch.cuda.get_device_name()}", rows, ("recipe", "options", "images/s", "vs fp32"))
    write_results(args.tag, {"device": torch.cuda.get_device_name(), "images_per_second": results})


if __name__ == "__main__":
    main()
