"""`ganstudio playground`: train a 2-D GAN headless, write 10,000 generated points and print mode coverage.

The flags come from PlaygroundConfig's declarations (core/playground/config.py) through the same builder as
`ganstudio train`'s, so they match the Playground tab's form.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ganstudio.cli.train_commands import add_option, cli_options, option_values
from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.coverage import EVAL_SAMPLES

DEFAULT_STEPS = 2000


def add_parsers(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "playground",
        help="train a 2-D GAN on points and measure its mode coverage",
        description="Train a tiny GAN on a distribution of 2-D points (the app's Playground tab, headless), "
        f"write {EVAL_SAMPLES:,} generated points as a float32 [N, 2] .npy and print mode coverage: modes "
        "covered, the share of samples within 3 std of a mode and a histogram JS divergence.",
    )
    for opt in cli_options([PlaygroundConfig]):
        add_option(parser, opt, resume=False)
    parser.add_argument("--points", help="custom distribution: an .npy file of drawn points, float [N, 2]")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="generator steps to train")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (tiny networks: 1 is fastest)")
    parser.add_argument("--out", help="where to write the generated points (.npy)")
    parser.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    parser.set_defaults(handler=run_playground)


def _load_points(path: str | None, dist: str) -> np.ndarray | None:
    from ganstudio.cli.main import CliError

    if dist != "custom":
        if path:
            raise CliError("--points is for --dist custom only")
        return None
    if not path:
        raise CliError("--dist custom needs --points FILE.npy (an array of points [N, 2])")
    points = np.load(path, allow_pickle=False)
    if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
        raise CliError(f"{path}: expected an array of points [N, 2], got shape {list(points.shape)}")
    return points.astype(np.float64)


def run_playground(args: argparse.Namespace) -> int:
    from ganstudio.cli.main import CliError

    config = PlaygroundConfig(**option_values(PlaygroundConfig, args))
    if args.steps < 0:
        raise CliError(f"--steps must be >= 0, got {args.steps}")
    if args.threads < 1:
        raise CliError(f"--threads must be >= 1, got {args.threads}")
    points = _load_points(args.points, config.dist)

    import torch

    from ganstudio.core.playground.trainer import PlaygroundTrainer

    torch.set_num_threads(args.threads)
    trainer = PlaygroundTrainer(config, points)
    start = time.perf_counter()
    for _ in range(args.steps):
        trainer.step()
    seconds = time.perf_counter() - start
    generated = trainer.generate(EVAL_SAMPLES)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        np.save(args.out, generated)
    metrics = trainer.coverage()
    if args.json:
        report = {
            "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
            "g_steps": trainer.g_steps,
            "seconds": round(seconds, 3),
            "steps_per_second": round(args.steps / seconds, 1) if seconds > 0 else None,
            **metrics.as_dict(),
            "out": args.out,
        }
        print(json.dumps(report))
    else:
        print(f"{config.dist}, {config.loss}: {trainer.g_steps} G steps in {seconds:.1f} s")
        print(metrics.summary())
        if args.out:
            print(f"points: {args.out}", file=sys.stderr)
    return 0
