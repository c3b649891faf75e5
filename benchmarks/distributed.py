"""Images per second of the default recipe on MNIST with 1 and 2 processes (torchrun, gloo on CPU / NCCL on GPU).

Each configuration is a `torchrun --nproc_per_node=N benchmarks/distributed.py --worker` job: every rank builds
the trainer of `ganstudio train` (batch 128 per rank) and trains `--steps` steps; rank 0 prints the global rate
(images shown to D per second, all ranks together) over the steps after the warm-up. On a CPU the machine's
cores are shared out: 1 process x all cores against N processes x (cores / N).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, print_table, write_results

WARMUP_STEPS = 10


def worker(args: argparse.Namespace) -> None:
    from ganstudio.core import distributed
    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.data import load_dataset
    from ganstudio.core.events import StepMetrics
    from ganstudio.core.training import Trainer

    ctx = distributed.init_from_env(args.device)
    data = load_dataset("mnist", data_dir=args.data_dir)
    config = TrainConfig(steps=WARMUP_STEPS + args.steps, threads=args.threads, device=args.device, sample_every=10**6)
    trainer = Trainer(ModelConfig(), config, data)
    marks = [
        (e.images_seen, e.elapsed_seconds) for e in trainer.run(export_on_finish=False) if isinstance(e, StepMetrics)
    ]
    (seen0, t0), (seen1, t1) = marks[WARMUP_STEPS - 1], marks[-1]
    if ctx.is_main:
        print(json.dumps({"processes": ctx.world_size, "threads": args.threads, "rate": (seen1 - seen0) / (t1 - t0)}))
    distributed.shutdown()


def launch(processes: int, threads: int, args: argparse.Namespace) -> dict:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={processes}"]
    command += ["--master_addr", "127.0.0.1", "--master_port", str(port), __file__, "--worker"]
    command += ["--steps", str(args.steps), "--threads", str(threads), "--device", args.device]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": str(threads)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise SystemExit(f"{processes} process(es) failed:\n{result.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200, help="timed steps after the warm-up")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--threads", type=int, default=0, help="torch threads per process (0: the cores shared out)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="distributed")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    cores = os.cpu_count() or 1
    runs = [launch(n, args.threads or (max(1, cores // n) if args.device == "cpu" else 1), args) for n in (1, 2)]
    single = runs[0]["rate"]
    rows = [(str(r["processes"]), str(r["threads"]), f"{r['rate']:,.0f}", f"{r['rate'] / single:.2f}x") for r in runs]
    print_table(
        f"Default recipe, batch 128 per process, {args.device} ({args.steps} steps after {WARMUP_STEPS} warm-up)",
        rows,
        ("processes", "threads each", "images/s (all ranks)", "vs 1 process"),
    )
    write_results(args.tag, {"device": args.device, "steps": args.steps, "runs": runs})


if __name__ == "__main__":
    main()
