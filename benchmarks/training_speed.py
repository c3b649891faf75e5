"""Training throughput: images/s of each architecture x objective at batch 64 on this machine, and the
two peer recipes at their own batch sizes. Medians over timed windows after a warm-up."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, write_results


def _median_rate(step, images_per_step: int, seconds: float, windows: int = 5) -> float:
    for _ in range(5):
        step()
    rates = []
    for _ in range(windows):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / windows:
            step()
            n += 1
        rates.append(n * images_per_step / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="timed seconds per configuration")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.data import load_dataset
    from ganstudio.core.training import Trainer
    from ports import KERAS_MLP, TF_DCGAN, PortTrainer

    data = load_dataset("mnist", data_dir=args.data_dir)
    defaults = ModelConfig()
    rows, results = [], {}
    for arch in ("mlp", "dcgan"):
        for loss in ("bce", "hinge", "wgan-gp"):
            model = ModelConfig(arch=arch, latent_dim=defaults.latent_dim, spectral_norm=loss == "hinge")
            trainer = Trainer(model, TrainConfig(batch_size=64, loss=loss), data)
            rate = _median_rate(trainer._train_step, 64, args.seconds)
            results[f"{arch}/{loss}"] = rate
            rows.append((arch, loss, "64", f"{rate:,.0f}"))
    default_trainer = Trainer(ModelConfig(), TrainConfig(), data)
    rate = _median_rate(default_trainer._train_step, TrainConfig().batch_size * TrainConfig().d_steps, args.seconds)
    results["ganstudio-default"] = rate
    rows.append(("default recipe", TrainConfig().loss, str(TrainConfig().batch_size), f"{rate:,.0f}"))
    for recipe in (KERAS_MLP, TF_DCGAN):
        port = PortTrainer(recipe, data.images)
        rate = _median_rate(port.train_step, recipe.batch_size, args.seconds)
        results[recipe.name] = rate
        rows.append((recipe.name, "bce", str(recipe.batch_size), f"{rate:,.0f}"))
    print_table(
        "Training throughput (real images per second shown to D)", rows, ("architecture", "loss", "batch", "images/s")
    )
    write_results("training_speed", {"images_per_second": results, "seconds_per_config": args.seconds})


if __name__ == "__main__":
    main()
