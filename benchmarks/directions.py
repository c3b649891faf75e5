"""Named directions on the shipped MNIST generator: how long the set takes to compute, and whether "ink"
does what the issue asks (on 200 fresh seeds, -2 -> +2 raises the measured ink for >= 95% of them while the
classifier keeps the digit for >= 90%). Also the latent plane's redraw: 81 images in one onnxruntime call plus
one classifier batch, against its 30 ms budget."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # the app's numpy runs single-threaded BLAS too
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHIPPED_MNIST, summary, time_calls, write_results  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(SHIPPED_MNIST))
    parser.add_argument("--rounds", type=int, default=3, help="times the direction set is computed")
    parser.add_argument("--plane-repeats", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads (the machine's 2 cores)")
    args = parser.parse_args()

    from ganstudio.runtime.backends import OnnxGenerator
    from ganstudio.runtime.digit_classifier import DigitClassifier, classifier_for
    from ganstudio.runtime.directions import check_attribute_direction, find_directions
    from ganstudio.runtime.plane import PlaneView, plane_latents

    backend = OnnxGenerator(args.model, intra_op_threads=args.threads)
    found = classifier_for(backend.info)
    if found is None:
        print("no shipped classifier reads this model's images", file=sys.stderr)
        return 1
    classifier = DigitClassifier(found.path, threads=args.threads)
    seconds = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        directions = find_directions(backend, "", classifier)
        seconds.append(time.perf_counter() - start)
    count = len(directions.directions)
    print(f"direction set: median {np.median(seconds):.2f} s over {args.rounds} rounds ({count} directions)")
    for d in directions.directions:
        print(f"  {d.name:9s} {d.kind:9s} {d.report.describe() if d.report else ''}")
    ink = directions.get("ink")
    assert ink is not None
    check = check_attribute_direction(backend, classifier, ink.vector, "ink", seeds=200)
    print(
        f"ink on 200 fresh seeds: raises ink for {check.raises_fraction:.1%}, "
        f"keeps the digit for {check.class_keep:.1%}"
    )

    z = np.random.default_rng(0).standard_normal(backend.info.latent_dim).astype(np.float32)
    view = PlaneView()
    basis = np.eye(backend.info.latent_dim, dtype=np.float32)[:2]

    def redraw() -> None:
        latents = plane_latents(z, basis[0], basis[1], view)
        images = backend.generate(latents)
        classifier.logits(images)

    plane_ms = time_calls(redraw, args.plane_repeats, warmup=5)
    print(f"plane redraw (81 images + classifier): median {np.median(plane_ms):.1f} ms")
    write_results(
        "directions",
        {
            "direction_set_seconds": seconds,
            "directions": len(directions.directions),
            "ink_raises_fraction": check.raises_fraction,
            "ink_class_keep": check.class_keep,
            "plane_redraw_ms": summary(plane_ms),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
