"""Retrain a shipped generator from scratch and rewrite its model card.

    python -m ganstudio.recipes.train_shipped mnist [--data-dir D] [--out models/]
    python -m ganstudio.recipes.train_shipped mnist-conditional
    python -m ganstudio.recipes.train_shipped fashion-mnist
    python -m ganstudio.recipes.train_shipped emoji --data-dir EMOJI_FOLDER   # made by make_emoji_folder.py

MNIST and Fashion-MNIST train on their train split (where the data layer finds it) and are measured on the
held-out test split. Each recipe is a fixed number of generator steps (not minutes) so the result does not depend
on the machine's speed; the card records the wall time it took here. Writes <name>.onnx (the model the app opens),
<name>.safetensors (its checkpoint, to resume or re-export) and <name>.json (the card with metrics).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from ganstudio.core.config import ModelConfig, TrainConfig, config_to_dict
from ganstudio.recipes.provenance import code_revision, folder_digest, named_data_files


@dataclass(frozen=True)
class ShippedRecipe:
    name: str
    dataset: str  # a built-in dataset, or what the folder holds (then --data-dir names the folder)
    conditional: bool
    steps: int
    description: str
    model_overrides: dict = field(default_factory=dict)
    train_overrides: dict = field(default_factory=dict)
    folder: bool = False  # trains on the image folder given as --data-dir
    quality_over_time: bool = False  # measure every sample grid (10 per run) and record the numbers in the card


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
    # The conditional MNIST model keeps G 256-512 and an EMA of 0.999 (its short run is too brief for 0.9999). All
    # three keep G's learning rate at 4e-4, which they were tuned with (the default is 6e-4, see
    # docs/decisions/learning-rates.md).
    "mnist-conditional": ShippedRecipe(
        "mnist-conditional",
        "mnist",
        True,
        25000,
        "The default recipe with a label embedding in G and a projection discriminator (G 256-512).",
        model_overrides={"g_layers": 2},
        train_overrides={"ema_decay": 0.999, "g_lr": 4e-4},
    ),
    # G 256-512 at 15k steps stayed at 16.6x its FID floor: textures and the shirt/pullover/coat shapes need the
    # capacity the MNIST recipe has (G 256-512-1024, D 1024-512) and twice the steps.
    "fashion-mnist": ShippedRecipe(
        "fashion-mnist",
        "fashion-mnist",
        True,
        30000,
        "The default recipe, class-conditional, with D 1024-512, on the 60,000 Fashion-MNIST training images.",
        model_overrides={"d_width": 128},
        train_overrides={"ema_decay": 0.999, "g_lr": 4e-4},
    ),
    # For a small colour folder like the ~1,200 emoji of make_emoji_folder.py (64x64 RGB, one subfolder per Unicode
    # block): convolutions for local colour structure, hinge + spectral norm (SNGAN's stable pairing, with its
    # learning rates and betas), DiffAugment's translation and cutout so D cannot memorise a few hundred images,
    # conditional on the subfolders (faces, transport, ... differ in shape and colour), sized to 30 minutes on 2 CPU
    # cores (G and D at half the default width: at full width one step cost about 3x as much). 7,000 steps fill
    # about 25 minutes on the AVX-512 VM of docs/decisions/emoji-recipe.md; on a slower machine add --minutes 30.
    # Not shipped: the folder is made on the machine, and its images stay out of the repository.
    "emoji": ShippedRecipe(
        "emoji",
        "emoji",
        True,
        7000,
        "DCGAN at 64x64 RGB, hinge + spectral norm, DiffAugment (translation + cutout), class-conditional on the "
        "emoji folder's Unicode-block subfolders.",
        model_overrides={
            "arch": "dcgan",
            "image_size": 64,
            "channels": 3,
            "latent_dim": 128,
            "g_width": 32,
            "d_width": 32,
        },
        train_overrides={
            "batch_size": 64,
            "g_lr": 2e-4,
            "d_lr": 2e-4,
            "augment": "translate-cutout",
            "ema_decay": 0.999,
        },
        folder=True,
        quality_over_time=True,
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
    quality_samples: int = 2000,
    run_folder: Path | None = None,
) -> dict:
    """Train, export, evaluate and write the card. `minutes` > 0 caps wall time (the card records the steps).

    `resume`: continue a checkpoint of an earlier, shorter run of the same recipe (resuming is exact, so this is
    the same computation as one uninterrupted run); the card's seconds then add the checkpoint's training time.
    """
    import torch

    from ganstudio.core.events import GeneratorSnapshot, StepMetrics, TrainingFinished
    from ganstudio.core.export import export_onnx
    from ganstudio.core.training import Trainer
    from ganstudio.recipes.measure_shipped import measure_card
    from ganstudio.runtime.backends import OnnxGenerator

    dataset = load_recipe_data(recipe, data_dir, log)
    model_config, train_config = recipe_configs(recipe, dataset, threads, device, minutes)
    data_spec = train_config.dataset
    revision = code_revision()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"ganstudio-{recipe.name}-") as tmp:
        # A kept run folder outlives a killed process: its checkpoints (every 5,000 steps) continue with --resume.
        run_dir = run_folder if run_folder is not None else Path(tmp) / "run"
        if resume is None:
            trainer, earlier_seconds, resumed_step = Trainer(model_config, train_config, dataset, run_dir), 0.0, 0
        else:
            trainer = _resumed_trainer(resume, model_config, train_config, dataset, run_dir)
            earlier_seconds, resumed_step = trainer.elapsed_seconds, trainer.step
            log(f"{recipe.name}: resuming {resume} at step {resumed_step}")
        start = time.perf_counter()
        finished = None
        over_time: list[dict] = []
        for event in trainer.run(export_on_finish=False):
            measured = over_time and over_time[-1]["step"] == getattr(event, "step", None)  # the final grid repeats
            if isinstance(event, GeneratorSnapshot) and recipe.quality_over_time and not measured:
                over_time.append(_measure_snapshot(event, data_spec, data_dir, quality_samples, log))
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

    latency_ms = _batch1_latency(OnnxGenerator(onnx_path))
    if recipe.folder:
        data_files: object = folder_digest(Path(str(data_dir)))
    else:
        data_files = named_data_files(recipe.dataset, Path(data_dir) if data_dir else None)
    card = {
        "name": recipe.name,
        "file": onnx_path.name,
        "checkpoint": f"{recipe.name}.safetensors",
        "description": recipe.description,
        "dataset": {"name": recipe.dataset, "split": dataset.split, "images": len(dataset), "files": data_files},
        "code_revision": revision,
        "recipe": {"model_config": config_to_dict(model_config), "train_config": config_to_dict(train_config)},
        "training": training,
        "render_batch1_ms_median": round(latency_ms, 4),
        "metrics": None,  # measured below, over several sampling seeds
        "reproduce": f"python -m ganstudio.recipes.train_shipped {recipe.name}",
    }
    if over_time:
        card["quality_over_time"] = over_time
    card_path = out_dir / f"{recipe.name}.json"
    card_path.write_text(json.dumps(card, indent=2, sort_keys=False), encoding="utf-8")
    training_path.unlink(missing_ok=True)
    return measure_card(card_path, None if recipe.folder else data_dir, eval_samples, log=log)


def load_recipe_data(recipe: ShippedRecipe, data_dir: str | None, log=print):
    """The recipe's training images: the train split of a built-in dataset where the data layer finds it (the
    test split is kept for measuring), or the image folder `data_dir` at the recipe's size and colour."""
    from ganstudio.core.data import load_dataset

    if not recipe.folder:
        return load_dataset(recipe.dataset, data_dir=Path(data_dir) if data_dir else None, log=log)
    if not data_dir:
        raise SystemExit(f"the {recipe.name} recipe trains on an image folder: name it with --data-dir")
    size = recipe.model_overrides.get("image_size", 28)
    return load_dataset(data_dir, image_size=size, channels=recipe.model_overrides.get("channels", 3), log=log)


def recipe_configs(
    recipe: ShippedRecipe, dataset, threads: int = 2, device: str = "auto", minutes: float = 0.0
) -> tuple[ModelConfig, TrainConfig]:
    """The model and training configs a recipe trains `dataset` (from load_recipe_data) with."""
    model_config = ModelConfig(
        num_classes=dataset.num_classes if recipe.conditional else 0,
        class_names=dataset.class_names,
        **recipe.model_overrides,
    )
    train_config = TrainConfig(
        dataset=dataset.name if recipe.folder else recipe.dataset,
        steps=recipe.steps,
        threads=threads,
        device=device,
        sample_every=max(1000, recipe.steps // 10) if not recipe.quality_over_time else max(1, recipe.steps // 10),
        checkpoint_every=5000,
        minutes=minutes,
        **recipe.train_overrides,
    )
    return model_config, train_config


def _measure_snapshot(snapshot, data_spec: str, data_dir: str | None, samples: int, log) -> dict:
    """Quality of a snapshot during training (as the Train tab's live metrics measure it), for the card."""
    from ganstudio.core.live_metrics import MetricsJob, evaluate_snapshot
    from ganstudio.core.quality_report import SwdReport, UnavailableReport, summary_line

    report = evaluate_snapshot(MetricsJob(snapshot, data_spec, data_dir, samples=samples))
    if report is None or isinstance(report, UnavailableReport):
        return {"step": snapshot.step, "available": False}
    log(summary_line(report))
    swd = report.swd
    point = {"step": snapshot.step, "seconds": round(snapshot.elapsed_seconds, 1), "samples": report.samples}
    if swd is not None:
        point |= {"swd": round(swd.mean, 3), "swd_floor": round(swd.floor_mean, 3), "swd_ratio": swd.ratio}
    if not isinstance(report, SwdReport):
        point |= {"fid": report.fid, "fid_floor": report.fid_floor, "fid_ratio": report.fid_ratio}
    return point


def _machine(device) -> str:
    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{_cpu_name()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}"


def _cpu_name() -> str:
    """The CPU's model name where the OS tells it (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "CPU"


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
        "--run-dir",
        metavar="FOLDER",
        help="keep the run (checkpoints every 5,000 steps) in this new folder instead of a temporary one",
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
            run_folder=Path(args.run_dir) / name if args.run_dir else None,
        )
        print(json.dumps({k: card[k] for k in ("name", "training", "render_batch1_ms_median")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
