"""Quality vs wall time for GAN Studio's default MNIST recipe and the two recipes users copy (straight ports).

Each recipe trains on the same MNIST images; every --eval-every seconds of *training* time the clock stops,
5,000 samples are scored with the shipped classifier (FID vs the real-vs-real floor, classes covered, mean
confidence, class KL) and the clock restarts. Reports the curve and the time to reach:
  ten digits:       all 10 classes covered and mean confidence >= 0.9   (target: <= 3 minutes)
  FID within 5x:    FID within 5x the real-vs-real floor                (target: <= 10 minutes)
Run nothing else on the machine meanwhile, or the times are wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, write_results


def _ganstudio_recipe(data, threads: int, overrides: dict):
    import torch

    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.training import Trainer
    from ganstudio.recipes.train_shipped import split_overrides

    conditional = bool(overrides.get("conditional", False))
    model_fields, train_fields = split_overrides({k: v for k, v in overrides.items() if k != "conditional"})
    model = ModelConfig(
        num_classes=data.num_classes if conditional else 0, class_names=data.class_names, **model_fields
    )
    train = TrainConfig(threads=threads, **train_fields)
    trainer = Trainer(model, train, data)
    trainer.generator.train()
    trainer.discriminator.train()

    def step() -> None:
        trainer._train_step()
        trainer.step += 1

    @torch.no_grad()
    def sample(n: int) -> np.ndarray:
        generator = trainer.sampling_generator()  # calibrated by finish(), inside the training clock
        generator.eval()
        z = torch.randn(n, model.latent_dim, generator=torch.Generator().manual_seed(123)).to(trainer.device)
        labels = (torch.arange(n) % model.num_classes).to(trainer.device) if model.conditional else None
        images = generator(z, labels).cpu().numpy()  # labels above: classes evenly
        trainer.generator.train()
        return ((images + 1) / 2).clip(0, 1)

    return step, sample, trainer.calibrate_ema


def _port_recipe(recipe, data):
    from ports import PortTrainer

    port = PortTrainer(recipe, data.images)
    return port.train_step, port.sample, None


def run_recipe(name: str, step, sample, finish, minutes: float, eval_every: float, n: int, data_dir) -> dict:
    """Train for `minutes`, measuring every `eval_every` training seconds. `finish` (optional) is what the app
    does before it saves a model (the EMA's batch-norm calibration): each point's time includes that point's
    finish, once, as a save at that moment would; earlier points' finishes are not carried forward."""
    from ganstudio.core.metrics import QualityReport, evaluate_generator_images, format_report

    curve, train_seconds, next_eval, steps = [], 0.0, eval_every, 0
    ten_digits = fid_5x_floor = None
    while train_seconds < minutes * 60:
        start = time.perf_counter()
        while time.perf_counter() - start < next_eval - train_seconds:
            step()
            steps += 1
        train_seconds += time.perf_counter() - start
        finish_seconds = 0.0
        if finish is not None:  # paid by this measurement only: training goes on from the uncalibrated state
            finish_start = time.perf_counter()
            finish()
            finish_seconds = time.perf_counter() - finish_start
        report = evaluate_generator_images(sample(n), "mnist", data_dir=data_dir)
        if not isinstance(report, QualityReport):
            raise SystemExit(format_report(report))
        point = {
            "seconds": round(train_seconds + finish_seconds, 1),
            "steps": steps,
            "fid": report.fid,
            "fid_ratio": report.fid_ratio,
            "classes": report.classes_covered,
            "confidence": report.mean_confidence,
            "kl": report.kl_class,
        }
        curve.append(point)
        if ten_digits is None and point["classes"] == 10 and point["confidence"] >= 0.9:
            ten_digits = point["seconds"]
        if fid_5x_floor is None and point["fid_ratio"] <= 5.0:
            fid_5x_floor = point["seconds"]
        print(
            f"  {name:22s} {point['seconds']:6.0f}s step {steps:6d}  FID {point['fid']:7.2f} "
            f"({point['fid_ratio']:5.1f}x floor)  classes {point['classes']:2d}  conf {point['confidence']:.3f}  "
            f"KL {point['kl']:.3f}",
            flush=True,
        )
        next_eval += eval_every
    return {
        "curve": curve,
        "seconds_to_ten_digits": ten_digits,
        "seconds_to_fid_5x_floor": fid_5x_floor,
        "floor": report["fid_floor"],
        "minutes": minutes,
    }


def seconds_to(result: dict, bar: str) -> float:
    """When a recipe's result reached `bar` ("seconds_to_ten_digits" / "seconds_to_fid_5x_floor"); one that never
    did counts as reaching it at the end of its budget, so a ratio against it is a lower bound."""
    return result[bar] if result[bar] is not None else result["minutes"] * 60


def compare_to_peers(results: dict, bar: str) -> str | None:
    """How much sooner the default reached a bar than the better peer; a peer that never reached it within
    its budget counts as reaching it at the budget, so the ratio is then a lower bound ("> N x")."""
    peers = {n: r[bar] for n, r in results.items() if n != "ganstudio"}
    if not peers or "ganstudio" not in results:
        return None
    ours = results["ganstudio"][bar]
    if ours is None:
        return f"not reached in {results['ganstudio']['minutes']:g} min"
    best_name = min(peers, key=lambda name: seconds_to(results[name], bar))
    best = seconds_to(results[best_name], bar)
    if peers[best_name] is not None:
        return f"{ours:.0f} s, {best / ours:.1f}x sooner than the better peer ({best_name}, {best:.0f} s)"
    return (
        f"{ours:.0f} s; no peer reached it ({best_name} trained {best / 60:g} min), so more than "
        f"{best / ours:.1f}x sooner than the better peer"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="training minutes per recipe")
    parser.add_argument(
        "--peer-minutes",
        type=float,
        default=None,
        help="training minutes for the two ports (default: --minutes); longer shows whether a peer gets there at all",
    )
    parser.add_argument("--eval-every", type=float, default=30.0, help="training seconds between evaluations")
    parser.add_argument("--n", type=int, default=5000, help="samples per evaluation")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads for every recipe")
    parser.add_argument("--data-dir", default=None, help="MNIST IDX folder (default: the usual search)")
    parser.add_argument("--recipes", nargs="+", default=["ganstudio", "keras-mlp-gan", "tf-dcgan-tutorial"])
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="override fields of the GAN Studio recipe (for tuning experiments)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of every recipe (the default's TrainConfig.seed and torch's global RNG for the ports)",
    )
    parser.add_argument(
        "--ema-warmup",
        type=float,
        default=None,
        help="tuning only: the EMA warm-up constant K in (1 + step) / (K + step) "
        "(default: ganstudio.core.networks.EMA_WARMUP)",
    )
    parser.add_argument(
        "--tag",
        default="recipe_quality",
        help="results file name: NAME writes benchmarks/results/latest/NAME.json, "
        "experiments/QUESTION/NAME writes benchmarks/results/experiments/QUESTION/NAME.json",
    )
    parser.add_argument(
        "--include",
        nargs="*",
        default=[],
        metavar="RESULTS.json",
        help="earlier results of this script whose recipes join the table and the comparison "
        "without being trained again (same machine, same settings only)",
    )
    args = parser.parse_args()

    import torch

    from ganstudio.core import networks
    from ganstudio.core.data import load_dataset
    from ganstudio.recipes.train_shipped import parse_overrides
    from ports import KERAS_MLP, TF_DCGAN

    torch.set_num_threads(args.threads)
    if args.ema_warmup is not None:
        networks.EMA_WARMUP = args.ema_warmup  # read by update_ema at every step
    data = load_dataset("mnist", data_dir=args.data_dir)
    overrides = parse_overrides(args.set)
    if args.seed:
        overrides.setdefault("seed", args.seed)
    results = {}
    for name in args.recipes:
        torch.manual_seed(args.seed)
        if name == "ganstudio":
            step, sample, finish = _ganstudio_recipe(data, args.threads, overrides)
        else:
            step, sample, finish = _port_recipe({"keras-mlp-gan": KERAS_MLP, "tf-dcgan-tutorial": TF_DCGAN}[name], data)
        minutes = args.minutes if name == "ganstudio" or args.peer_minutes is None else args.peer_minutes
        results[name] = run_recipe(name, step, sample, finish, minutes, args.eval_every, args.n, args.data_dir)
    for path in args.include:
        earlier = json.loads(Path(path).read_text())
        for name, r in earlier["results"].items():
            if name not in results:
                results[name] = {"minutes": earlier["minutes"], **r, "from": str(path)}
    rows = []
    for name, r in results.items():
        last = r["curve"][-1]
        fmt = lambda s: f"{s:.0f} s" if s is not None else "not reached"  # noqa: E731
        rows.append(
            (
                name,
                fmt(r["seconds_to_ten_digits"]),
                fmt(r["seconds_to_fid_5x_floor"]),
                f"{last['fid']:.2f}",
                f"{last['fid_ratio']:.1f}x",
                str(last["classes"]),
                f"{last['confidence']:.3f}",
            )
        )
    print_table(
        f"Time to quality on {len(data):,} MNIST digits, {args.threads} threads (floor FID "
        f"{next(iter(results.values()))['floor']:.2f})",
        rows,
        ("recipe", "10 classes & conf>=0.9", "FID <= 5x floor", "final FID", "ratio", "classes", "conf"),
    )
    for bar, label in (
        ("seconds_to_ten_digits", "ten digits with confidence >= 0.9"),
        ("seconds_to_fid_5x_floor", "FID within 5x the floor"),
    ):
        verdict = compare_to_peers(results, bar)
        if verdict:
            print(f"GAN Studio default, {label}: {verdict}")
    write_results(
        args.tag,
        {
            "minutes": args.minutes,
            "peer_minutes": args.peer_minutes,
            "eval_every": args.eval_every,
            "n": args.n,
            "threads": args.threads,
            "seed": args.seed,
            "ema_warmup": networks.EMA_WARMUP,
            "overrides": overrides,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
