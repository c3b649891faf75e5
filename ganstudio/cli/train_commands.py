"""`ganstudio train` and `ganstudio resume`: headless training with a live progress line; Ctrl+C, SIGTERM and
SIGHUP save and exit 128 + the signal's number (cli/stop_signals.py).

Before any data is loaded the run folder is claimed (core/run_folder.py): made, probed for writing, locked against
a second run, and cleared of what an interrupted save left.

The flags are generated from the config declarations (core/options.py), so every option of the Train form is a
flag here too, with the same help.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ganstudio.cli.arg_checks import budget_type
from ganstudio.core.config import BUDGET_FIELDS, ModelConfig, TrainConfig
from ganstudio.core.options import BUDGET, CHECK, CONDITIONAL, DATASET, Option, options_of

DEFAULT_MINUTES = 10.0
_GROUP_TITLES = ("model", "objective and optimisation", "budget and run")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train a new GAN", description="Train a new GAN and save a run folder.")
    train.add_argument("--data-dir", help="folder holding the MNIST / Fashion-MNIST IDX files")
    train.add_argument("--no-download", action="store_true", help="never download a missing dataset")
    train.add_argument(
        "--out", help="run folder to create (default: a new folder named after the dataset and architecture)"
    )
    groups = {title: train.add_argument_group(title) for title in _GROUP_TITLES}
    for opt in cli_options():
        add_option(groups[_group_title(opt)] if opt.widget != DATASET else train, opt, resume=False)
    train.add_argument("--no-export", action="store_true", help="do not export generator.onnx at the end")
    train.set_defaults(handler=run_train)

    resume = sub.add_parser(
        "resume",
        help="continue a run from its folder",
        description="Continue a run: same step count, optimizer state, RNG and history. A budget given here is "
        "extra training: --minutes 20 trains 20 more minutes, --steps 500 another 500 steps.",
    )
    resume.add_argument("run_dir", help="run folder (or checkpoint file) to continue")
    resume.add_argument("--data", help="where the run's image folder is now, when it was moved since the run was saved")
    resume.add_argument("--data-dir", help="folder holding the MNIST / Fashion-MNIST IDX files")
    resume.add_argument("--no-download", action="store_true")
    group = resume.add_argument_group("budget and run")
    for opt in cli_options():
        if opt.spec.resumable:
            add_option(group, opt, resume=True)
    resume.add_argument("--no-export", action="store_true", help="do not export generator.onnx at the end")
    resume.set_defaults(handler=run_resume)


def cli_options(classes: Iterable[type] = (ModelConfig, TrainConfig)) -> Iterable[Option]:
    """The declared options a command offers, `ganstudio train`'s by default (pairs such as the betas appear once,
    as their first field)."""
    seen_pairs: set[str] = set()
    for cls in classes:
        for opt in options_of(cls):
            if not opt.spec.cli or opt.spec.pair in seen_pairs:
                continue
            if opt.spec.pair:
                seen_pairs.add(opt.spec.pair)
            yield opt


def _group_title(opt: Option) -> str:
    if opt.owner is ModelConfig:
        return "model"
    return "budget and run" if opt.spec.resumable else "objective and optimisation"


def add_option(parser: Any, opt: Option, resume: bool) -> None:
    """One flag for a declared option. Resume flags default to None: "keep what the run was saved with"."""
    spec = opt.spec
    kwargs: dict[str, Any] = {"help": spec.help or None}
    if opt.widget == CONDITIONAL:
        kwargs["action"] = "store_true"
    elif opt.widget == CHECK:
        kwargs.update(action=argparse.BooleanOptionalAction, default=opt.default)
    else:
        kwargs["type"] = opt.kind
        if spec.choices:
            kwargs["choices"] = spec.choices
        if spec.pair:
            first, second = [o for o in options_of(opt.owner) if o.spec.pair == spec.pair]
            kwargs.update(nargs=2, metavar=("B1", "B2"), default=(first.default, second.default), dest=spec.pair)
        elif opt.widget == BUDGET or opt.name == "channels" or resume:
            kwargs["default"] = None  # no budget given / channels from the data / unchanged on resume
        else:
            kwargs["default"] = opt.default
    if opt.widget == BUDGET:
        kwargs["type"] = budget_type(opt.name, opt.kind)  # 0 is refused, not taken as "the default budget"
    if opt.widget == BUDGET and not resume:  # "extra" applies to resume only; a new run has a default budget
        kwargs["help"] = spec.help.split(" (when continuing")[0]
        if opt.name == "minutes":
            kwargs["help"] += f"; {DEFAULT_MINUTES:g} when no budget is given"
    if "dest" not in kwargs:
        kwargs["dest"] = opt.name
    parser.add_argument(opt.flag, **kwargs)


def option_values(cls: type, args: argparse.Namespace, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Keyword arguments of a config built from the parsed flags (pairs split back into their two fields)."""
    values: dict[str, Any] = {}
    pair_index: dict[str, int] = {}
    for opt in options_of(cls):
        if not opt.spec.cli or opt.name in skip or opt.widget in (CONDITIONAL, BUDGET):
            continue
        if opt.spec.pair:
            index = pair_index.get(opt.spec.pair, 0)
            pair_index[opt.spec.pair] = index + 1
            values[opt.name] = getattr(args, opt.spec.pair)[index]
        else:
            values[opt.name] = getattr(args, opt.name)
    return values


def _budget(args: argparse.Namespace) -> dict[str, Any]:
    return {k: getattr(args, k) for k in BUDGET_FIELDS if getattr(args, k) is not None}


def _load_data(spec: str, image_size: int, channels: int | None, args: argparse.Namespace):
    from ganstudio.core.data import builtin_dataset, load_dataset
    from ganstudio.core.run_setup import default_channels

    named = builtin_dataset(spec) is not None
    return load_dataset(
        spec,
        image_size=image_size,
        channels=channels or default_channels(spec),
        data_dir=args.data_dir,
        download=not args.no_download,
        progress=_download_progress if named else None,  # a folder's load ends with one "loaded N images" line
        log=_log,
    )


def run_train(args: argparse.Namespace) -> int:
    from ganstudio.core import distributed
    from ganstudio.core.config import with_changes
    from ganstudio.core.device import check_device
    from ganstudio.core.run_folder import claim_run_folder
    from ganstudio.core.run_setup import run_dataset_spec
    from ganstudio.paths import new_run_dir

    budget = _budget(args)
    if not any(budget.values()):
        budget["minutes"] = DEFAULT_MINUTES
    # Validate the configs before any data is loaded, so a typo costs nothing.
    probe_model = ModelConfig(**option_values(ModelConfig, args, skip=("channels",)), channels=args.channels or 1)
    values = {**option_values(TrainConfig, args), "dataset": run_dataset_spec(args.dataset)}
    train_config = TrainConfig(**values, **budget)
    check_device(train_config.device)
    ctx = _join_ranks(train_config.device)  # torchrun: one process group; otherwise a no-op
    if args.out:
        out = Path(args.out)
    else:  # rank 0 creates the folder and tells the other ranks its name
        created = new_run_dir(train_config.dataset, probe_model.arch) if ctx.is_main else None
        out = distributed.broadcast_object(created, ctx)
    # Only rank 0 writes the run folder, so only rank 0 claims (locks and checks) it.
    with claim_run_folder(out, resume=False, log=_log) if ctx.is_main else contextlib.nullcontext():
        with distributed.local_rank0_first(ctx):
            dataset = _load_data(train_config.dataset, probe_model.image_size, args.channels, args)
        if args.num_classes and dataset.num_classes < 2:
            raise _cli_error(
                f"--conditional needs labelled data, but {args.dataset} has no classes "
                "(put each class of images in its own subfolder)"
            )
        model_config = with_changes(
            probe_model,
            channels=dataset.channels,
            num_classes=dataset.num_classes if args.num_classes else 0,
            class_names=dataset.class_names,
        )
        from ganstudio.core.training import Trainer

        trainer = Trainer(model_config, train_config, dataset, out)
        _log(f"run folder: {out}")
        return _drive_ranks(trainer, export=not args.no_export)


def run_resume(args: argparse.Namespace) -> int:
    from ganstudio.core import distributed
    from ganstudio.core.checkpoint import inspect_checkpoint, resolve_checkpoint_path
    from ganstudio.core.device import check_device
    from ganstudio.core.run_folder import claim_run_folder
    from ganstudio.core.run_setup import resume_dataset, resume_overrides

    source = resolve_checkpoint_path(Path(args.run_dir))
    claim = claim_run_folder(source.parent, resume=True, log=_log) if _is_main_rank() else contextlib.nullcontext()
    with claim:
        header = inspect_checkpoint(source)  # checked, but the weights are read once, by the trainer
        budget = _budget(args)
        changes = {
            opt.name: getattr(args, opt.name)
            for opt in options_of(TrainConfig)
            if opt.spec.resumable and opt.widget != BUDGET and getattr(args, opt.name) is not None
        }
        changes["dataset"] = resume_dataset(header.train_config.dataset, args.data)
        overrides = resume_overrides(header.train_config, header.state, budget or None, **changes)
        cfg = header.model_config
        device = overrides.get("device", header.train_config.device)
        check_device(device)
        ctx = _join_ranks(device)
        with distributed.local_rank0_first(ctx):
            dataset = _load_data(changes["dataset"], cfg.image_size, cfg.channels, args)
        from ganstudio.core.training import Trainer

        trainer = Trainer.from_checkpoint(source, dataset, **overrides)
        progress = trainer.progress()
        if progress is not None and progress >= 1.0:
            _log(
                f"the run's budget is already spent at step {trainer.step}; pass --steps, --epochs or --minutes "
                "to train that much more"
            )
            return 0
        _log(f"resuming {trainer.run_dir} at step {trainer.step}")
        return _drive_ranks(trainer, export=not args.no_export)


# --- distributed runs (`torchrun ... -m ganstudio train`, core/distributed.py)
def _join_ranks(device: str):
    from ganstudio.core import distributed

    return distributed.init_from_env(device)


def _is_main_rank() -> bool:
    """False in the ranks other than 0 of a torchrun job: they train silently (their errors still print)."""
    return os.environ.get("RANK", "0") == "0"


def _drive_ranks(trainer, export: bool) -> int:
    """_drive, with a lost rank reported as one line and the process group left at the end."""
    from ganstudio.core import distributed

    distributed.write_rank_report(trainer.dist, started_at_step=trainer.step)
    try:
        with distributed.collective_errors():
            code = _drive(trainer, export) if _is_main_rank() else _drive_silently(trainer, export)
        modules = {"G": trainer.generator, "D": trainer.discriminator, "G_ema": trainer.ema_generator}
        distributed.write_rank_report(trainer.dist, step=trainer.step, digest=distributed.state_digest(modules))
        return code
    finally:
        distributed.shutdown()


def _drive_silently(trainer, export: bool) -> int:
    """A rank other than 0 runs the same loop without output; Ctrl+C asks for the stop all ranks agree on."""
    from ganstudio.core.events import TrainingFinished

    previous = signal.signal(signal.SIGINT, lambda signum, frame: trainer.control.stop())
    finished = None
    try:
        for event in trainer.run(export_on_finish=export):
            if isinstance(event, TrainingFinished):
                finished = event
    finally:
        signal.signal(signal.SIGINT, previous)
    if finished is not None and finished.reason in ("diverged", "error"):
        from ganstudio.cli.main import CliError

        raise CliError(finished.message)
    return 0


# ---


def _drive(trainer, export: bool) -> int:
    """Run the loop with a progress line; the first stop signal stops cleanly and saves, a second one aborts.
    Returns 0 when the budget was reached, 128 + the signal's number when a signal stopped the run."""
    from ganstudio.cli.progress import ProgressLine
    from ganstudio.cli.stop_signals import StopOnSignals, signal_name
    from ganstudio.core.events import CheckpointSaved, LogMessage, SampleGrid, StepMetrics, TrainingFinished

    line = ProgressLine()
    finished = None
    with StopOnSignals(trainer.control.stop) as signals:
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
            line.clear()
    assert finished is not None
    if signals.received is not None and finished.reason == "stopped":
        _log(f"{signal_name(signals.received)}: {finished.message}; resume with `ganstudio resume {finished.run_dir}`")
    else:
        _log(finished.message)
    if finished.checkpoint_path:
        _log(f"checkpoint: {finished.checkpoint_path}")
    if finished.onnx_path:
        _log(f"generator: {finished.onnx_path}")
    if finished.reason in ("diverged", "error"):
        raise _cli_error(finished.message)
    return signals.exit_code


def _cli_error(message: str) -> Exception:
    from ganstudio.cli.main import CliError

    return CliError(message)


def _log(text: str) -> None:
    if not _is_main_rank():
        return
    with contextlib.suppress(OSError):  # a terminal closed under a run (SIGHUP) must not end it before it saves
        print(text, file=sys.stderr, flush=True)


def _download_progress(name: str, done: int, total: int | None) -> None:
    size = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
    end = "\n" if total and done >= total else ""
    print(f"\rdownloading {name}: {size}   ", end=end, file=sys.stderr, flush=True)
