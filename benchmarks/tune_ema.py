"""Tuning run for a shipped recipe: one training run that follows several EMA decays side by side.

    OUT=benchmarks/results/experiments/ema-decay-and-warmup
    .venv/bin/python benchmarks/tune_ema.py --out $OUT/decays_d512.json
    .venv/bin/python benchmarks/tune_ema.py --set d_width=128 --out $OUT/decays_d1024.json

Every `--every` steps it measures (FID, classes, confidence on 5,000 samples) the raw generator and, for each
decay, its EMA copy with G's borrowed batch-norm statistics and with statistics calibrated for the EMA weights
(what the app saves). The decays share one trajectory, so their differences are the averaging alone; each
follows the trainer's warm-up, min(decay, (1 + step) / (EMA_WARMUP + step)), so decays above
1 - (EMA_WARMUP - 1) / step are all the same until that step (the decays_*.json results were measured with
EMA_WARMUP = 10). Quality, not timing: it may share the machine.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60000)
    parser.add_argument("--every", type=int, default=10000, help="generator steps between measurements")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--decays", default="0.999,0.9995,0.9998,0.9999")
    parser.add_argument("--calibration-samples", type=int, default=25600)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="ModelConfig/TrainConfig fields")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import torch

    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.data import load_dataset
    from ganstudio.core.events import StepMetrics
    from ganstudio.core.metrics import QualityReport, evaluate_model, format_report
    from ganstudio.core.networks import recalibrate_batch_norm, update_ema
    from ganstudio.core.torch_backend import TorchGenerator, model_info_from_configs
    from ganstudio.core.training import Trainer
    from ganstudio.recipes.train_shipped import parse_overrides, split_overrides

    model_fields, train_fields = split_overrides(parse_overrides(args.set))
    data = load_dataset("mnist", data_dir=args.data_dir)
    model_config = ModelConfig(num_classes=0, class_names=data.class_names, **model_fields)
    train_config = TrainConfig(
        dataset="mnist",
        steps=args.steps,
        threads=args.threads,
        device="cpu",
        sample_every=10**9,
        checkpoint_every=10**9,
        **train_fields,
    )
    trainer = Trainer(model_config, train_config, data)
    decays = [float(d) for d in args.decays.split(",")]
    emas = {d: copy.deepcopy(trainer.generator).eval() for d in decays}
    info = model_info_from_configs(model_config, train_config, source="tuning", backend="torch", summary={})

    def calibrated(module: torch.nn.Module) -> torch.nn.Module:
        module = copy.deepcopy(module)
        rng = torch.Generator().manual_seed(123)
        batches = (
            (torch.randn(128, model_config.latent_dim, generator=rng), None)
            for _ in range(args.calibration_samples // 128)
        )
        recalibrate_batch_norm(module, batches)
        return module

    def measure(module: torch.nn.Module) -> list:
        report = evaluate_model(
            TorchGenerator(copy.deepcopy(module), info), n=5000, seed=0, data_dir=args.data_dir, log=lambda _: None
        )
        if not isinstance(report, QualityReport):
            raise SystemExit(format_report(report))
        return [round(report.fid, 3), report.classes_covered, round(report.mean_confidence, 3)]

    log = {"overrides": args.set, "decays": decays, "columns": ["fid", "classes", "confidence"], "points": []}
    start = time.time()
    for event in trainer.run(export_on_finish=False):
        if not isinstance(event, StepMetrics):
            continue
        step = trainer.step
        for decay, ema in emas.items():
            update_ema(ema, trainer.generator, decay, step - 1)  # as the trainer does, before its step count
        if step % args.every == 0:
            point = {
                "step": step,
                "train_seconds": round(trainer.elapsed_seconds, 1),
                "wall_seconds": round(time.time() - start, 1),
                "raw": measure(trainer.generator),
            }
            for decay, ema in emas.items():
                point[f"ema{decay}"] = measure(ema)
                point[f"ema{decay}_calibrated"] = measure(calibrated(ema))
            log["points"].append(point)
            print(json.dumps(point), flush=True)
            Path(args.out).write_text(json.dumps(log, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
