"""SWD speed: preparing the real reference (descriptors and floor) and one measurement of generated images, for
2,000 images at 28x28 grey (MNIST, the live metrics' sample) and at 64x64 RGB (a colour folder like the emoji).

    .venv/bin/python benchmarks/swd_speed.py [--n 2000] [--rounds 3]

Random images: the cost depends on the image count, size and channels, not on what the images show.
numpy's threads are left as they are (the live metrics run on their own thread beside training).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import print_table, write_results

SHAPES = {"28x28 grey": (1, 28), "64x64 RGB": (3, 64)}


def time_one(n: int, channels: int, size: int, seed: int) -> tuple[float, float]:
    """(seconds to prepare the reference, seconds for one measurement) with fresh images."""
    from ganstudio.core.swd_metrics import SwdReference

    rng = np.random.default_rng(seed)
    real = rng.integers(0, 256, (2, n, channels, size, size), dtype=np.uint8)
    generated = rng.random((n, channels, size, size), dtype=np.float32)
    reference = SwdReference(real[0], real[1])
    start = time.perf_counter()
    reference.prepare()
    prepared = time.perf_counter()
    reference.score(generated)
    return prepared - start, time.perf_counter() - prepared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="images per set")
    parser.add_argument("--rounds", type=int, default=3, help="repeats; the median is reported")
    parser.add_argument("--tag", default="swd_speed")
    args = parser.parse_args()
    from ganstudio.core import swd

    results, rows = {}, []
    for name, (channels, size) in SHAPES.items():
        runs = [time_one(args.n, channels, size, seed) for seed in range(args.rounds)]
        prepare = statistics.median(r[0] for r in runs)
        measure = statistics.median(r[1] for r in runs)
        results[name] = {
            "images": args.n,
            "levels": list(swd.resolutions(size)),
            "patches_per_level": swd.patch_count(args.n),
            "prepare_seconds": round(prepare, 3),
            "measure_seconds": round(measure, 3),
            "rounds": args.rounds,
        }
        rows.append((name, f"{args.n:,}", str(swd.resolutions(size)), f"{prepare:.2f} s", f"{measure:.2f} s"))
    print_table(
        "SWD: reference (real descriptors + floor) once per run, then each measurement",
        rows,
        ("images", "n", "levels", "prepare", "measure"),
    )
    write_results(args.tag, {"results": results})


if __name__ == "__main__":
    main()
