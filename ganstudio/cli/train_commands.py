"""`ganstudio train` and `ganstudio resume`: headless training with a live progress line; Ctrl+C saves."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from dataclasses import fields
from pathlib import Path

from ganstudio.core.config import ARCHS, AUGMENTS, DEVICES, IMAGE_SIZES, LOSSES, LR_DECAYS, ModelConfig, TrainConfig

DEFAULT_MINUTES = 10.0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    defaults_m, defaults_t = ModelConfig(), TrainConfig()
    train = sub.add_parser("train", help="train a new GAN", description="Train a new GAN and save a run folder.")
    train.add_argument("--dataset", default=defaults_t.dataset, help="mnist, fashion-mnist or a folder of images")
    train.add_argument("--data-dir", help="folder holding the MNIST / Fashion-MNIST IDX files")
    train.add_argument("--no-download", action="store_true", help="never download a missing dataset")
    train.add_argument("--out", help="run folder to create (default: a new folder under the user data dir)")
    model = train.add_argument_group("model")
    model.add_argument("--arch", choices=ARCHS, default=defaults_m.arch)
    model.add_argument("--conditional", action="store_true", help="class-conditional G and projection D")
    model.add_argument("--latent-dim", type=int, default=defaults_m.latent_dim)
    model.add_argument("--image-size", type=int, choices=IMAGE_SIZES, default=defaults_m.image_size)
    model.add_argument(
        "--channels", type=int, choices=(1, 3), help="1 or 3 (default: 1 for MNIST / Fashion-MNIST, 3 for folders)"
    )
    model.add_argument("--g-width", type=int, default=defaults_m.g_width)
    model.add_argument("--d-width", type=int, default=defaults_m.d_width)
    model.add_argument(
        "--g-layers",
        type=int,
        default=defaults_m.g_layers,
        help="mlp: hidden layers in G (widths 4x, 8x, 16x ... the G width)",
    )
    model.add_argument(
        "--spectral-norm",
        action=argparse.BooleanOptionalAction,
        default=defaults_m.spectral_norm,
        help="spectral normalisation on every discriminator layer",
    )
    opt = train.add_argument_group("objective and optimisation")
    opt.add_argument("--loss", choices=LOSSES, default=defaults_t.loss)
    opt.add_argument("--batch-size", type=int, default=defaults_t.batch_size)
    opt.add_argument("--g-lr", type=float, default=defaults_t.g_lr)
    opt.add_argument("--d-lr", type=float, default=defaults_t.d_lr)
    opt.add_argument(
        "--g-betas", type=float, nargs=2, metavar=("B1", "B2"), default=(defaults_t.g_beta1, defaults_t.g_beta2)
    )
    opt.add_argument(
        "--d-betas", type=float, nargs=2, metavar=("B1", "B2"), default=(defaults_t.d_beta1, defaults_t.d_beta2)
    )
    opt.add_argument("--d-steps", type=int, default=defaults_t.d_steps, help="D updates per G update")
    opt.add_argument("--gp-weight", type=float, default=defaults_t.gp_weight, help="WGAN-GP penalty weight")
    opt.add_argument(
        "--augment",
        choices=AUGMENTS,
        default=defaults_t.augment,
        help="differentiable augmentation of D's inputs (meant for small folders; off for MNIST)",
    )
    opt.add_argument(
        "--lr-decay",
        choices=LR_DECAYS,
        default=defaults_t.lr_decay,
        help="linear: both learning rates fall to 0 over the budget",
    )
    opt.add_argument("--ema", type=float, default=defaults_t.ema_decay, help="EMA decay of G weights (0: off)")
    _add_budget_and_run_options(train, defaults_t)
    train.set_defaults(handler=run_train)

    resume = sub.add_parser(
        "resume",
        help="continue a run from its folder",
        description="Continue a run: same step count, optimizer state, RNG and history.",
    )
    resume.add_argument("run_dir", help="run folder (or checkpoint file) to continue")
    resume.add_argument("--data-dir", help="folder holding the MNIST / Fashion-MNIST IDX files")
    resume.add_argument("--no-download", action="store_true")
    _add_budget_and_run_options(resume, None)
    resume.set_defaults(handler=run_resume)


def _add_budget_and_run_options(parser: argparse.ArgumentParser, defaults: TrainConfig | None) -> None:
    group = parser.add_argument_group("budget and run")
    group.add_argument("--epochs", type=float, help="stop after this many passes over the data")
    group.add_argument("--steps", type=int, help="stop after this many generator steps")
    group.add_argument(
        "--minutes",
        type=float,
        help=f"stop after this much training time (default {DEFAULT_MINUTES:g} when no budget is given)"
        if defaults
        else "total training time including earlier sessions",
    )
    group.add_argument("--seed", type=int, default=defaults.seed if defaults else None)
    group.add_argument("--sample-every", type=int, default=defaults.sample_every if defaults else None)
    group.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every if defaults else None)
    group.add_argument("--device", choices=DEVICES, default=defaults.device if defaults else None)
    group.add_argument(
        "--threads",
        type=int,
        default=defaults.threads if defaults else None,
        help="CPU threads for torch (0: torch's default)",
    )
    group.add_argument("--no-export", action="store_true", help="do not export generator.onnx at the end")


def _budget(args: argparse.Namespace, fill_default: bool) -> dict:
    budget = {k: getattr(args, k) for k in ("epochs", "steps", "minutes") if getattr(args, k) is not None}
    if fill_default and not any(budget.values()):
        budget["minutes"] = DEFAULT_MINUTES
    return budget


def _default_run_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("ganstudio")) / "runs" / time.strftime("%Y%m%d-%H%M%S")


def _load_data(spec: str, image_size: int, channels: int | None, args: argparse.Namespace):
    from ganstudio.core.data import load_dataset

    named = spec.lower() in ("mnist", "fashion-mnist", "fashion_mnist", "fashion")
    chans = channels or (1 if named else 3)
    return load_dataset(
        spec,
        image_size=image_size,
        channels=chans,
        data_dir=args.data_dir,
        download=not args.no_download,
        progress=_download_progress,
        log=_log,
    )


def run_train(args: argparse.Namespace) -> int:
    from ganstudio.cli.main import CliError
    from ganstudio.core.checkpoint import CHECKPOINT_NAME
    from ganstudio.core.training import Trainer

    out = Path(args.out) if args.out else _default_run_dir()
    if (out / CHECKPOINT_NAME).exists():
        raise CliError(f"{out} already holds a run; continue it with `ganstudio resume {out}` or choose another --out")
    budget = _budget(args, fill_default=True)
    # Validate the configs before any data is loaded, so a typo costs nothing.
    probe_model = ModelConfig(
        arch=args.arch,
        latent_dim=args.latent_dim,
        image_size=args.image_size,
        channels=args.channels or 1,
        g_width=args.g_width,
        d_width=args.d_width,
        spectral_norm=args.spectral_norm,
        g_layers=args.g_layers,
    )
    train_config = TrainConfig(
        dataset=args.dataset,
        loss=args.loss,
        batch_size=args.batch_size,
        g_lr=args.g_lr,
        d_lr=args.d_lr,
        g_beta1=args.g_betas[0],
        g_beta2=args.g_betas[1],
        d_beta1=args.d_betas[0],
        d_beta2=args.d_betas[1],
        d_steps=args.d_steps,
        gp_weight=args.gp_weight,
        augment=args.augment,
        lr_decay=args.lr_decay,
        ema_decay=args.ema,
        seed=args.seed,
        sample_every=args.sample_every,
        checkpoint_every=args.checkpoint_every,
        device=args.device,
        threads=args.threads,
        **budget,
    )
    dataset = _load_data(args.dataset, probe_model.image_size, args.channels, args)
    if args.conditional and dataset.num_classes < 2:
        raise CliError(
            f"--conditional needs labelled data, but {args.dataset} has no classes "
            "(put each class of images in its own subfolder)"
        )
    model_config = ModelConfig(
        **{
            f.name: getattr(probe_model, f.name)
            for f in fields(ModelConfig)
            if f.name not in ("channels", "num_classes", "class_names")
        },
        channels=dataset.channels,
        num_classes=dataset.num_classes if args.conditional else 0,
        class_names=dataset.class_names,
    )
    trainer = Trainer(model_config, train_config, dataset, out)
    _log(f"run folder: {out}")
    return _drive(trainer, export=not args.no_export)


def run_resume(args: argparse.Namespace) -> int:
    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.training import Trainer

    data = load_checkpoint(Path(args.run_dir))
    overrides = _budget(args, fill_default=False)
    overrides.update(
        {
            k: getattr(args, k)
            for k in ("seed", "sample_every", "checkpoint_every", "device", "threads")
            if getattr(args, k) is not None
        }
    )
    cfg = data.model_config
    dataset = _load_data(data.train_config.dataset, cfg.image_size, cfg.channels, args)
    trainer = Trainer.from_checkpoint(Path(args.run_dir), dataset, **overrides)
    if trainer.progress() is not None and trainer.progress() >= 1.0:
        _log(
            f"the run's budget is already spent at step {trainer.step}; pass --steps, --epochs or --minutes "
            "with a larger total to train further"
        )
        return 0
    _log(f"resuming {trainer.run_dir} at step {trainer.step}")
    return _drive(trainer, export=not args.no_export)


def _drive(trainer, export: bool) -> int:
    """Run the loop with a progress line; the first Ctrl+C stops cleanly and saves, a second one aborts."""
    from ganstudio.cli.progress import ProgressLine
    from ganstudio.core.events import CheckpointSaved, LogMessage, SampleGrid, StepMetrics, TrainingFinished

    def on_interrupt(signum, frame):
        if trainer.control.stopped:
            raise KeyboardInterrupt
        print("\nstopping after this step and saving (Ctrl+C again to abort without saving)", file=sys.stderr)
        trainer.control.stop()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    line = ProgressLine()
    finished = None
    try:
        for event in trainer.run(export_on_finish=export):
            if isinstance(event, StepMetrics):
                line.update(event)
            elif isinstance(event, LogMessage):
                line.clear()
                _log(event.text)
            elif isinstance(event, SampleGrid) and event.saved_path:
                line.note(f"samples: {event.saved_path}")
            elif isinstance(event, CheckpointSaved):
                line.note(f"checkpoint at step {event.step}")
            elif isinstance(event, TrainingFinished):
                finished = event
    finally:
        signal.signal(signal.SIGINT, previous)
        line.clear()
    assert finished is not None
    _log(finished.message)
    if finished.checkpoint_path:
        _log(f"checkpoint: {finished.checkpoint_path}")
    if finished.onnx_path:
        _log(f"generator: {finished.onnx_path}")
    if finished.reason in ("diverged", "error"):
        from ganstudio.cli.main import CliError

        raise CliError(finished.message)
    return 0


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _download_progress(name: str, done: int, total: int | None) -> None:
    size = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
    end = "\n" if total and done >= total else ""
    print(f"\rdownloading {name}: {size}   ", end=end, file=sys.stderr, flush=True)
