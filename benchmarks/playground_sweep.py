"""Playground sweep: train one 2-D GAN config and print its coverage every `--every` G steps.

    .venv/bin/python benchmarks/playground_sweep.py '{"loss": "wgan-gp", "d_steps": 5}' [--steps 5000] [--every 500]

One JSON line per checkpoint (config, G steps, modes covered, share within 3 std, JS, wall seconds) on stdout:
the raw logs behind docs/decisions/playground-presets.md. One torch thread; the metrics do not depend on speed.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.trainer import PlaygroundTrainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("config", help="PlaygroundConfig fields as a JSON object")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--every", type=int, default=500)
    args = parser.parse_args()
    torch.set_num_threads(1)
    changes = json.loads(args.config)
    trainer = PlaygroundTrainer(PlaygroundConfig(**changes))
    start = time.perf_counter()
    while trainer.g_steps < args.steps:
        trainer.step()
        if trainer.g_steps % args.every == 0:
            metrics = trainer.coverage()
            row = {"config": changes, "g_steps": trainer.g_steps, "seconds": round(time.perf_counter() - start)}
            print(json.dumps({**row, **metrics.as_dict()}), flush=True)


if __name__ == "__main__":
    main()
