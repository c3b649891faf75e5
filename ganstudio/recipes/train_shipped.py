"""Retrain a shipped generator from scratch and rewrite its model card.

    python -m ganstudio.recipes.train_shipped mnist [--data-dir D] [--out models/]
    python -m ganstudio.recipes.train_shipped mnist-conditional
    python -m ganstudio.recipes.train_shipped fashion-mnist

Each recipe is a fixed number of generator steps (not minutes) so the result does not depend on the machine's
speed; the card records the wall time it took here. Writes <name>.onnx (the model the app opens),
<name>.safetensors (its checkpoint, to resume or re-export) and <name>.json (the card with metrics).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ganstudio.core.config import ModelConfig, TrainConfig, config_to_dict


@dataclass(frozen=True)
class ShippedRecipe:
    name: str
    dataset: str
    conditional: bool
    steps: int
    description: str
    model_overrides: dict = field(default_factory=dict)
    train_overrides: dict = field(default_factory=dict)


RECIPES = {
    "mnist": ShippedRecipe(
        "mnist", "mnist", False, 40000,
        "GAN Studio's default MNIST recipe (the one Start uses), trained longer."),
    "mnist-conditional": ShippedRecipe(
        "mnist-conditional", "mnist", True, 15000,
        "The default recipe with a label embedding in G and a projection discriminator."),
    "fashion-mnist": ShippedRecipe(
        "fashion-mnist", "fashion-mnist", True, 15000,
        "The default recipe, class-conditional, on the 60,000 Fashion-MNIST training images."),
}


def train_recipe(recipe: ShippedRecipe, out_dir: Path, data_dir: str | None, threads: int, device: str,
                 eval_samples: int, log=print) -> dict:
    import torch

    from ganstudio.core.data import load_dataset
    from ganstudio.core.events import StepMetrics, TrainingFinished
    from ganstudio.core.export import export_onnx
    from ganstudio.core.inference import OnnxGenerator
    from ganstudio.core.metrics import evaluate_model, format_report
    from ganstudio.core.training import Trainer

    dataset = load_dataset(recipe.dataset, data_dir=data_dir, log=log)
    model_config = ModelConfig(num_classes=dataset.num_classes if recipe.conditional else 0,
                               class_names=dataset.class_names, **recipe.model_overrides)
    train_config = TrainConfig(dataset=recipe.dataset, steps=recipe.steps, threads=threads, device=device,
                               sample_every=max(1000, recipe.steps // 10), checkpoint_every=5000,
                               **recipe.train_overrides)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"ganstudio-{recipe.name}-") as tmp:
        run_dir = Path(tmp) / "run"
        trainer = Trainer(model_config, train_config, dataset, run_dir)
        start = time.perf_counter()
        finished = None
        for event in trainer.run(export_on_finish=False):
            if isinstance(event, StepMetrics) and event.step % 1000 == 0:
                log(f"{recipe.name}: step {event.step}/{recipe.steps}  D {event.d_loss:.3f}  G {event.g_loss:.3f}  "
                    f"{event.images_per_second:,.0f} img/s")
            elif isinstance(event, TrainingFinished):
                finished = event
        seconds = time.perf_counter() - start
        if finished is None or finished.reason != "completed":
            raise RuntimeError(f"{recipe.name}: training did not complete: {finished and finished.message}")
        onnx_path = out_dir / f"{recipe.name}.onnx"
        summary = {"step": str(trainer.step), "images_seen": str(trainer.images_seen),
                   "minutes": f"{seconds / 60:.1f}", "dataset_split": dataset.split, "shipped_model": recipe.name}
        export_onnx(trainer.sampling_generator(), model_config, train_config, onnx_path, summary)
        shutil.copyfile(run_dir / "checkpoint.safetensors", out_dir / f"{recipe.name}.safetensors")
        sample_grid = run_dir / "samples" / f"step_{trainer.step:07d}.png"
        if sample_grid.exists():
            shutil.copyfile(sample_grid, out_dir / f"{recipe.name}-samples.png")

    backend = OnnxGenerator(onnx_path)
    report = evaluate_model(backend, n=eval_samples, seed=0, data_dir=data_dir, log=log)
    log(format_report(report))
    latency_ms = _batch1_latency(backend)
    card = {
        "name": recipe.name,
        "file": onnx_path.name,
        "checkpoint": f"{recipe.name}.safetensors",
        "description": recipe.description,
        "dataset": {"name": recipe.dataset, "split": dataset.split, "images": len(dataset)},
        "recipe": {"model_config": config_to_dict(model_config), "train_config": config_to_dict(train_config)},
        "training": {"steps": trainer.step, "images_seen": trainer.images_seen, "seconds": round(seconds, 1),
                     "device": trainer.device.type, "threads": torch.get_num_threads(),
                     "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
                     "torch": torch.__version__},
        "render_batch1_ms_median": round(latency_ms, 4),
        "metrics": report,
        "reproduce": f"python -m ganstudio.recipes.train_shipped {recipe.name}",
    }
    (out_dir / f"{recipe.name}.json").write_text(json.dumps(card, indent=2, sort_keys=False), encoding="utf-8")
    return card


def _batch1_latency(backend, repeats: int = 2000) -> float:
    import statistics

    import numpy as np

    z = np.random.default_rng(0).standard_normal((1, backend.info.latent_dim)).astype(np.float32)
    labels = np.zeros(1, np.int64) if backend.info.num_classes else None
    for _ in range(50):
        backend.generate(z, labels)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        backend.generate(z, labels)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+", choices=sorted(RECIPES), help="shipped models to retrain")
    parser.add_argument("--data-dir", help="folder with the IDX files (default: the usual search)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "models"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--eval-samples", type=int, default=5000)
    args = parser.parse_args(argv)
    for name in args.names:
        card = train_recipe(RECIPES[name], Path(args.out), args.data_dir, args.threads, args.device,
                            args.eval_samples, log=lambda s: print(s, file=sys.stderr, flush=True))
        print(json.dumps({k: card[k] for k in ("name", "training", "render_batch1_ms_median")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
