"""Projection quality and speed on held-out digits: does the classifier read the projection as the input's digit?

Held-out digits: the 2,000 MNIST test digits that the classifier holds out (`held_out_split(10000, 2000, 0)`, as
`recipes/train_classifier.py` draws them). None of the shipped mnist generator (trained on the train split), its
encoder (generated images + the train split) or the classifier (the other 8,000 test digits) saw them. A fixed random
subset of --n digits goes through the app's path: MNIST-style preprocessing, encoder start, then --steps gradient
steps through the checkpoint. For each stage it prints the pixel MSE, how often the classifier reads the
projection as the input's label, and the time per digit; the baseline is the best of --baseline random samples
(pixel MSE), as the issue asks.

    python benchmarks/projection.py [--n 200] [--steps 150] [--baseline 10000] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, print_table, summary, write_results

MODELS = ROOT / "models"


def held_out_digits(n: int, seed: int, data_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    from ganstudio.core.quality_math import held_out_split
    from ganstudio.recipes.train_classifier import MNIST_HELD_OUT
    from ganstudio.runtime.nearest import load_split

    images, labels = load_split("mnist", "test", data_dir)
    _, unseen = held_out_split(len(images), MNIST_HELD_OUT, 0)  # the classifier's held-out digits (its seed 0)
    pick = unseen[np.random.default_rng(seed).permutation(len(unseen))[:n]]
    return images[pick, 0], labels[pick]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="mnist")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--baseline", type=int, default=10000, help="random samples of the baseline")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (refinement itself runs on one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--no-write", action="store_true", help="print only (a quick check)")
    args = parser.parse_args()

    import torch

    from ganstudio.core.feature_extractor import get_extractor
    from ganstudio.runtime.backends import open_generator
    from ganstudio.runtime.digit_preprocess import mnist_style
    from ganstudio.runtime.projection import Projector, pixel_errors

    torch.set_num_threads(args.threads)
    model_path = MODELS / f"{args.model}.onnx"
    backend = open_generator(model_path)
    classifier = get_extractor(backend.info.dataset)
    digits, labels = held_out_digits(args.n, args.seed, args.data_dir)
    targets = np.stack([mnist_style(d)[None] for d in digits])  # (n, 1, 28, 28)

    encoder_only = Projector.for_model(backend, model_path, refine=False)
    refined = Projector.for_model(backend, model_path, refine=True, refine_steps=args.steps)
    refined.project(targets[0])  # opens the checkpoint and warms torch up, outside the timings
    stages: dict[str, dict[str, list[float]]] = {"encoder": {}, "encoder + refine": {}}
    images: dict[str, list[np.ndarray]] = {name: [] for name in stages}
    for name, projector in (("encoder", encoder_only), ("encoder + refine", refined)):
        times, errors = [], []
        for target in targets:
            start = time.perf_counter()
            result = projector.project(target)
            times.append(time.perf_counter() - start)
            errors.append(result.error)
            images[name].append(result.image)
        stages[name] = {"seconds": times, "errors": errors}

    rng = np.random.default_rng(args.seed + 1)
    best = np.full(args.n, np.inf)
    best_images = np.zeros_like(targets)
    for start in range(0, args.baseline, 1000):
        z = rng.standard_normal((min(1000, args.baseline - start), backend.info.latent_dim)).astype(np.float32)
        batch = backend.generate(z)
        for i, target in enumerate(targets):
            errs = pixel_errors(batch, target)
            j = int(np.argmin(errs))
            if errs[j] < best[i]:
                best[i], best_images[i] = errs[j], batch[j]

    def agreement(pictures: np.ndarray) -> float:
        return float((classifier.run(pictures)[0].argmax(axis=1) == labels).mean())

    rows, results = [], {}
    for name, data in stages.items():
        agree = agreement(np.stack(images[name]))
        secs = summary(data["seconds"])
        results[name] = {"pixel_mse": float(np.mean(data["errors"])), "classifier_agreement": agree, "seconds": secs}
        rows.append(
            (name, f"{np.mean(data['errors']):.4f}", f"{agree:.1%}", f"{secs['median']:.3f}", f"{secs['p99']:.3f}")
        )
    base_agree = agreement(best_images)
    results[f"best of {args.baseline} random"] = {"pixel_mse": float(best.mean()), "classifier_agreement": base_agree}
    rows.append((f"best of {args.baseline:,} random", f"{best.mean():.4f}", f"{base_agree:.1%}", "", ""))
    inputs_read = agreement(targets)
    rows.append(("(the inputs themselves)", "", f"{inputs_read:.1%}", "", ""))
    print_table(
        f"Projection of {args.n} held-out MNIST test digits into {model_path.name} "
        f"({args.steps} refinement steps, {args.threads} torch threads)",
        rows,
        ("stage", "pixel MSE", "classifier agrees", "s/digit median", "s/digit p99"),
    )
    if not args.no_write:
        write_results(
            "projection",
            {
                "model": model_path.name,
                "held_out": f"{args.n} of the classifier's 2,000 held-out MNIST test digits (default_rng({args.seed}))",
                "steps": args.steps,
                "threads": args.threads,
                "stages": results,
                "inputs_classifier_agreement": inputs_read,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
