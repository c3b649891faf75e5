"""A folder larger than memory: decode time, second-run start time and peak memory while training from the cache.

Makes a synthetic folder of N 64x64 RGB PNGs (default 200,000; --count for fewer), then, each in a fresh process
so that each peak is its own:
1. decode: `load_dataset(folder)` with an empty cache (decodes into the memory-mapped .npy);
2. second start: the same call again (lists and stats the files, opens the cache);
3. train: `ganstudio train --dataset folder --image-size 64 --arch A --steps S`, from the cache;
4. the same training on the folder's first 1,024 images (held in memory): what the networks alone cost.
Peak memory is each process's peak resident set size (os.wait4's ru_maxrss); the bound to meet is 1 GB in step 3,
and step 3 minus step 4 is what streaming the data costs.
DCGAN by default, the architecture the README recommends for 64x64 RGB folders: the default MLP's 12,288-wide
output layer alone holds the process near 950 MB at 64x64x3 (weights, gradients, Adam and EMA), data or not.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, print_table, write_results

SIZE = 64
LOAD = """
import sys, time
from ganstudio.core.data import load_dataset
start = time.perf_counter()
ds = load_dataset(sys.argv[1], image_size=64, channels=3)
print(f"{time.perf_counter() - start:.3f} {len(ds)}")
"""


def _write_pngs(args: tuple[Path, int, int]) -> None:
    import numpy as np
    from PIL import Image

    folder, start, stop = args
    rng = np.random.default_rng(start)
    ramp = np.linspace(0, 255, SIZE, dtype=np.float32)
    for i in range(start, stop):
        # Smooth colour ramps with a little noise: compresses like a photo thumbnail, not like pure noise.
        base = rng.uniform(0.2, 1.0, 3)[None, None, :] * (ramp[None, :, None] + ramp[:, None, None]) / 2
        pixels = np.clip(base + rng.normal(0, 12, (SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{i // 10000:02d}" / f"{i:06d}.png", compress_level=1)


def make_folder(folder: Path, count: int) -> float:
    start = time.perf_counter()
    for shard in range((count + 9999) // 10000):
        (folder / f"{shard:02d}").mkdir(parents=True, exist_ok=True)
    chunks = [(folder, a, min(count, a + 2000)) for a in range(0, count, 2000)]
    with ProcessPoolExecutor() as pool:
        list(pool.map(_write_pngs, chunks))
    return time.perf_counter() - start


def small_copy(folder: Path, target: Path, count: int) -> Path:
    """A folder of hard links to the first `count` images (same subfolders), for the baseline run."""
    if not target.exists():
        for png in sorted(folder.rglob("*.png"))[:count]:
            link = target / png.relative_to(folder)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(png, link)
    return target


def run_measured(command: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak RSS in MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} ... failed:\n{err[-3000:]}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return out, seconds, usage.ru_maxrss * scale / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200_000, help="images in the synthetic folder")
    parser.add_argument("--steps", type=int, default=300, help="training steps in step 3")
    parser.add_argument("--arch", default="dcgan", choices=("mlp", "dcgan"))
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workdir", help="where the folder and the cache go (default: a temporary folder)")
    parser.add_argument("--tag", default="folder_cache")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir) if args.workdir else Path(tmp)
        folder, cache = work / f"synthetic-{args.count}", work / "cache"
        made = 0.0 if folder.exists() else make_folder(folder, args.count)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GANSTUDIO_FOLDER_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
        load = [sys.executable, "-c", LOAD, str(folder)]
        out, decode_wall, decode_rss = run_measured(load, env)
        decode_seconds = float(out.split()[0])
        out, second_wall, second_rss = run_measured(load, env)
        second_seconds = float(out.split()[0])
        train = [sys.executable, "-m", "ganstudio", "train", "--image-size", "64", "--arch", args.arch]
        train += ["--batch-size", str(args.batch_size), "--steps", str(args.steps), "--no-export", "--threads", "2"]
        train += ["--sample-every", str(args.steps), "--checkpoint-every", str(args.steps)]
        _, train_wall, train_rss = run_measured([*train, "--dataset", str(folder), "--out", str(work / "run")], env)
        small = small_copy(folder, work / "first-1024", 1024)
        _, _, baseline_rss = run_measured([*train, "--dataset", str(small), "--out", str(work / "run-small")], env)
        cache_mb = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) / 2**20

    rows = [
        ("decode (first run)", f"{decode_seconds:.1f} s ({decode_wall:.1f} s process)", f"{decode_rss:,.0f} MB"),
        ("open the cache (2nd run)", f"{second_seconds:.2f} s ({second_wall:.1f} s process)", f"{second_rss:,.0f} MB"),
        (f"train {args.arch}, {args.steps} x {args.batch_size}", f"{train_wall:.1f} s process", f"{train_rss:,.0f} MB"),
        ("the same on 1,024 images in memory", "", f"{baseline_rss:,.0f} MB"),
    ]
    print_table(
        f"{args.count:,} 64x64 RGB PNGs ({cache_mb:,.0f} MB cached; folder made in {made:.0f} s)",
        rows,
        ("phase", "time", "peak RSS"),
    )
    write_results(
        args.tag,
        {
            "count": args.count,
            "cache_mb": cache_mb,
            "decode_seconds": decode_seconds,
            "decode_process_seconds": decode_wall,
            "decode_peak_rss_mb": decode_rss,
            "second_start_seconds": second_seconds,
            "second_start_process_seconds": second_wall,
            "second_start_peak_rss_mb": second_rss,
            "train_steps": args.steps,
            "train_arch": args.arch,
            "train_batch_size": args.batch_size,
            "train_process_seconds": train_wall,
            "train_peak_rss_mb": train_rss,
            "baseline_1024_images_peak_rss_mb": baseline_rss,
            "streaming_cost_mb": train_rss - baseline_rss,
            "rss_bound_met": train_rss < 1024,
        },
    )


if __name__ == "__main__":
    main()
