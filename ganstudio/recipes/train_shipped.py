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
from dataclasses import dataclass, field, fields, replace
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
    # A discriminator twice as wide (1024-512) as Start's default: at 20k steps it took FID from 1.19 to 0.94
    # (benchmarks/results/tuning/README.md). Each step costs more, which a model trained once can afford.
    "mnist": ShippedRecipe(
        "mnist",
        "mnist",
        False,
        140000,
        "GAN Studio's default MNIST recipe (G 256-512-1024, hinge + spectral norm) with D 1024-512 and an EMA "
        "of 0.9999, trained longer.",
        model_overrides={"d_width": 128},
        train_overrides={"ema_decay": 0.9999, "g_lr": 4e-4},
    ),
    # The two conditional models were trained before G's third layer and the longer EMA became the default;
    # they keep G 256-512 and EMA 0.999. All three keep G's learning rate at 4e-4 (the default is now 6e-4, see
    # docs/decisions/learning-rates.md) so that --resume accepts their checkpoints.
    "mnist-conditional": ShippedRecipe(
        "mnist-conditional",
        "mnist",
        True,
        25000,
        "The default recipe with a label embedding in G and a projection discriminator (G 256-512).",
        model_overrides={"g_layers": 2},
        train_overrides={"ema_decay": 0.999, "g_lr": 4e-4},
    ),
    "fashion-mnist": ShippedRecipe(
        "fashion-mnist",
        "fashion-mnist",
        True,
        15000,
        "The default recipe, class-conditional, on the 60,000 Fashion-MNIST training images (G 256-512).",
        model_overrides={"g_layers": 2},
        train_overrides={"ema_decay": 0.999, "g_lr": 4e-4},
    ),
}


# Fields a resumed run may change: they decide where and how fast it runs and what it writes, not what it learns.
RESUMABLE_CHANGES = ("steps", "minutes", "threads", "device", "sample_every", "checkpoint_every")


def _resumed_trainer(path: Path, model_config: ModelConfig, train_config: TrainConfig, dataset, run_dir: Path):
    """A Trainer continuing `path`, refused unless the checkpoint is an earlier run of the very same recipe."""
    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.training import Trainer

    data = load_checkpoint(path)
    if data.model_config != model_config:
        raise ValueError(f"{path} is not a run of this recipe: its model config differs")
    ignored = {name: getattr(train_config, name) for name in RESUMABLE_CHANGES}
    if replace(data.train_config, **ignored) != train_config:
        raise ValueError(
            f"{path} is not a run of this recipe: its training config differs beyond {', '.join(RESUMABLE_CHANGES)}"
        )
    if int(data.state["step"]) >= train_config.steps:
        raise ValueError(f"{path} is already at step {data.state['step']}, the recipe stops at {train_config.steps}")
    return Trainer.from_checkpoint(path, dataset, run_dir, **ignored)


def train_recipe(
    recipe: ShippedRecipe,
    out_dir: Path,
    data_dir: str | None,
    threads: int,
    device: str,
    eval_samples: int,
    log=print,
    minutes: float = 0.0,
    resume: Path | None = None,
) -> dict:
    """Train, export, evaluate and write the card. `minutes` > 0 caps wall time (the card records the steps).

    `resume`: continue a checkpoint of an earlier, shorter run of the same recipe (resuming is exact, so this is
    the same computation as one uninterrupted run); the card's seconds then add the checkpoint's training time.
    """
    import torch

    from ganstudio.core.data import load_dataset
    from ganstudio.core.events import StepMetrics, TrainingFinished
    from ganstudio.core.export import export_onnx
    from ganstudio.core.metrics import evaluate_model, format_report
    from ganstudio.core.training import Trainer
    from ganstudio.runtime.backends import OnnxGenerator

    dataset = load_dataset(recipe.dataset, data_dir=Path(data_dir) if data_dir else None, log=log)
    model_config = ModelConfig(
        num_classes=dataset.num_classes if recipe.conditional else 0,
        class_names=dataset.class_names,
        **recipe.model_overrides,
    )
    train_config = TrainConfig(
        dataset=recipe.dataset,
        steps=recipe.steps,
        threads=threads,
        device=device,
        sample_every=max(1000, recipe.steps // 10),
        checkpoint_every=5000,
        minutes=minutes,
        **recipe.train_overrides,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"ganstudio-{recipe.name}-") as tmp:
        run_dir = Path(tmp) / "run"
        if resume is None:
            trainer, earlier_seconds, resumed_step = Trainer(model_config, train_config, dataset, run_dir), 0.0, 0
        else:
            trainer = _resumed_trainer(resume, model_config, train_config, dataset, run_dir)
            earlier_seconds, resumed_step = trainer.elapsed_seconds, trainer.step
            log(f"{recipe.name}: resuming {resume} at step {resumed_step}")
        start = time.perf_counter()
        finished = None
        for event in trainer.run(export_on_finish=False):
            if isinstance(event, StepMetrics) and event.step % 1000 == 0:
                log(
                    f"{recipe.name}: step {event.step}/{recipe.steps}  D {event.d_loss:.3f}  G {event.g_loss:.3f}  "
                    f"{event.images_per_second:,.0f} img/s"
                )
            elif isinstance(event, TrainingFinished):
                finished = event
        seconds = time.perf_counter() - start + earlier_seconds
        if finished is None or finished.reason != "completed":
            raise RuntimeError(f"{recipe.name}: training did not complete: {finished and finished.message}")
        # The checkpoint and training facts are kept first, so a failed export or evaluation loses no training.
        shutil.copyfile(run_dir / "checkpoint.safetensors", out_dir / f"{recipe.name}.safetensors")
        sample_grid = run_dir / "samples" / f"step_{trainer.step:07d}.png"
        if sample_grid.exists():
            shutil.copyfile(sample_grid, out_dir / f"{recipe.name}-samples.png")
        training = {
            "steps": trainer.step,
            "images_seen": trainer.images_seen,
            "seconds": round(seconds, 1),
            "device": trainer.device.type,
            "threads": torch.get_num_threads(),
            "machine": _machine(trainer.device),
            "torch": torch.__version__,
        }
        if resume is not None:
            training["resumed_at_step"] = resumed_step
        training_path = out_dir / f"{recipe.name}-training.json"  # until the card holds it
        training_path.write_text(json.dumps(training, indent=2), encoding="utf-8")
        onnx_path = out_dir / f"{recipe.name}.onnx"
        summary = {
            "step": str(trainer.step),
            "images_seen": str(trainer.images_seen),
            # The trainer's active time, as in the checkpoint, so both files show the same minutes (the wall time
            # above also counts loading and sampling).
            "elapsed_seconds": str(round(trainer.elapsed_seconds, 3)),
            "minutes": f"{trainer.elapsed_seconds / 60:.1f}",
            "dataset_split": dataset.split,
            "shipped_model": recipe.name,
        }
        export_onnx(trainer.final_generator(), model_config, train_config, onnx_path, summary)

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
        "training": training,
        "render_batch1_ms_median": round(latency_ms, 4),
        "metrics": report.to_json_dict(),
        "reproduce": f"python -m ganstudio.recipes.train_shipped {recipe.name}",
    }
    (out_dir / f"{recipe.name}.json").write_text(json.dumps(card, indent=2, sort_keys=False), encoding="utf-8")
    training_path.unlink(missing_ok=True)
    return card


def _machine(device) -> str:
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.machine()}, {platform.processor() or 'cpu'}"


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


def parse_overrides(items: list[str]) -> dict:
    """["g_layers=3", "augment=translate", "spectral_norm=false"] -> typed values."""
    overrides: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set expects KEY=VALUE, got {item!r}")
        typed: object = {"true": True, "false": False}.get(value.lower(), value)
        for cast in (int, float):
            try:
                typed = cast(value)
                break
            except ValueError:
                pass
        overrides[key] = typed
    return overrides


def split_overrides(overrides: dict) -> tuple[dict, dict]:
    """(ModelConfig fields, everything else): the second part is for TrainConfig, which names unknown keys."""
    model_fields = {f.name for f in fields(ModelConfig)}
    model = {k: v for k, v in overrides.items() if k in model_fields}
    return model, {k: v for k, v in overrides.items() if k not in model_fields}


def _with_overrides(recipe: ShippedRecipe, steps: int | None, items: list[str]) -> ShippedRecipe:
    model, train = split_overrides(parse_overrides(items))
    return replace(
        recipe,
        steps=steps or recipe.steps,
        model_overrides={**recipe.model_overrides, **model},
        train_overrides={**recipe.train_overrides, **train},
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="+", choices=sorted(RECIPES), help="shipped models to retrain")
    parser.add_argument("--data-dir", help="folder with the IDX files (default: the usual search)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "models"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--eval-samples", type=int, default=5000)
    parser.add_argument("--steps", type=int, help="override the recipe's generator steps")
    parser.add_argument("--minutes", type=float, default=0.0, help="also stop after this much wall time")
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override model or training fields of the recipe (for experiments)",
    )
    parser.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue an earlier, shorter run of the same recipe (e.g. one stopped by --steps)",
    )
    args = parser.parse_args(argv)
    if args.resume and len(args.names) != 1:
        parser.error("--resume continues one model: name exactly one")
    for name in args.names:
        recipe = _with_overrides(RECIPES[name], args.steps, args.set)
        card = train_recipe(
            recipe,
            Path(args.out),
            args.data_dir,
            args.threads,
            args.device,
            args.eval_samples,
            log=lambda s: print(s, file=sys.stderr, flush=True),
            minutes=args.minutes,
            resume=Path(args.resume) if args.resume else None,
        )
        print(json.dumps({k: card[k] for k in ("name", "training", "render_batch1_ms_median")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
