"""What the checkpoint digest costs: SHA-256 over every tensor, on each save and each load.

Two checkpoints: the default model's (ModelConfig() and TrainConfig() defaults: the MLP G 256-512-1024, D, the EMA
copy and both Adam states, built on a few random images, no training needed for the sizes) and the shipped
`models/mnist.safetensors` (saved before digests existed; it is re-saved to a temp folder to time a save and a
verified load of the same tensors). For each: the digest alone, a whole save (serialise, write, fsync, rename)
and a whole load (header checks, reading, digest), --repeats times, medians in ms.

Run on an idle machine: `.venv/bin/python benchmarks/checkpoint_integrity.py`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import ROOT, print_table, write_results


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm the file cache and the allocator
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def _default_checkpoint(folder: Path) -> Path:
    import numpy as np

    from ganstudio.core.config import ModelConfig, TrainConfig
    from ganstudio.core.data.dataset import ImageDataset
    from ganstudio.core.training import Trainer

    images = np.random.default_rng(0).integers(0, 256, (256, 1, 28, 28), dtype=np.uint8)
    dataset = ImageDataset(images, np.zeros(256, np.int64), (), "random", "test")
    trainer = Trainer(ModelConfig(), TrainConfig(dataset="random", steps=1, threads=1), dataset, folder / "default")
    list(trainer.run(export_on_finish=False))  # one step, so the Adam states exist
    return folder / "default" / "checkpoint.safetensors"


def measure(path: Path, repeats: int, folder: Path) -> dict[str, float]:
    from ganstudio.core import checkpoint as ckpt
    from ganstudio.core.checkpoint_checks import tensor_digest

    data = ckpt.load_checkpoint(path)
    copy = folder / f"resaved-{path.parent.name}-{path.stem}.safetensors"

    def save() -> None:
        ckpt.save_checkpoint(copy, data.model_config, data.train_config, data.state, data.tensors)

    save()
    megabytes = sum(t.numel() * t.element_size() for t in data.tensors.values()) / 1e6
    return {
        "tensor_mb": round(megabytes, 1),
        "digest_ms": _median_ms(lambda: tensor_digest(data.tensors), repeats),
        "save_ms": _median_ms(save, repeats),
        "load_ms": _median_ms(lambda: ckpt.load_checkpoint(copy), repeats),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    results = {}
    with tempfile.TemporaryDirectory(prefix="ganstudio-integrity-") as tmp:
        folder = Path(tmp)
        results["default model"] = measure(_default_checkpoint(folder), args.repeats, folder)
        results["shipped mnist"] = measure(ROOT / "models" / "mnist.safetensors", args.repeats, folder)
    rows = [
        (name, f"{r['tensor_mb']:.1f}", f"{r['digest_ms']:.1f}", f"{r['save_ms']:.1f}", f"{r['load_ms']:.1f}")
        for name, r in results.items()
    ]
    print_table("checkpoint digest cost (medians)", rows, ("checkpoint", "MB", "digest ms", "save ms", "load ms"))
    write_results("checkpoint_integrity", {"repeats": args.repeats, "results": results})


if __name__ == "__main__":
    main()
