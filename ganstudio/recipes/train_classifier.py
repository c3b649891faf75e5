"""Train the classifier behind the quality metrics and write `<out>/<dataset>-classifier.onnx` + a model card.

    python -m ganstudio.recipes.train_classifier mnist [--data-dir D] [--out models/]
    python -m ganstudio.recipes.train_classifier fashion-mnist

Data and splits:
* MNIST: only the 10,000-image test split is available on the project's machines, so it is split 8,000 train /
  2,000 held-out by `metrics.held_out_split(10000, 2000, seed)`; the held-out accuracy is reported.
* Fashion-MNIST: trained on the 60,000-image train split; accuracy is reported on the 10,000-image test split.
The model card `<dataset>-classifier.json` records the split, epochs, seed, accuracy per class, time and versions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ganstudio.core.classifier import (
    Augment,
    classifier_metadata,
    evaluate_accuracy,
    export_classifier_onnx,
    train_classifier,
)
from ganstudio.core.data import DataError, ImageDataset, canonical_name, load_named_dataset, named
from ganstudio.core.metrics import held_out_split
from ganstudio.paths import models_dir

MNIST_HELD_OUT = 2000
DEFAULT_EPOCHS = {"mnist": 30, "fashion-mnist": 8}


def _subset(ds: ImageDataset, idx: np.ndarray, split: str) -> ImageDataset:
    return ImageDataset(ds.images[idx], ds.labels[idx], ds.class_names, ds.name, split)


def load_splits(name: str, data_dir: Path | None, seed: int, log) -> tuple[ImageDataset, ImageDataset, dict]:
    """(train, held-out, split description) for `name`."""
    if name == "mnist":
        folder = next(
            (f for f, _ in named.search_locations(name, data_dir) if named.find_pair(name, f, "test") is not None), None
        )
        if folder is None:
            full = load_named_dataset(name, data_dir=data_dir, log=log)  # raises DataError with search help
            raise DataError(f"the MNIST recipe trains on the t10k test split; only the {full.split} split was found")
        full = named.read_split(name, folder, "test")
        train_idx, held_idx = held_out_split(len(full), MNIST_HELD_OUT, seed)
        split = {
            "source": "mnist t10k (test) split, 10,000 images",
            "method": f"numpy.random.default_rng({seed}).permutation(10000): first {MNIST_HELD_OUT} held out, "
            "rest train (ganstudio.core.metrics.held_out_split)",
            "train": len(train_idx),
            "held_out": len(held_idx),
            "held_out_sha256": hashlib.sha256(held_idx.astype("<i8").tobytes()).hexdigest(),
        }
        return _subset(full, train_idx, "train"), _subset(full, held_idx, "held-out"), split
    located = named.locate_dataset(name, data_dir)
    folder = located[0] if located else None
    if folder is None or any(named.find_pair(name, folder, split) is None for split in ("train", "test")):
        load_named_dataset(name, data_dir=data_dir, log=log)  # raises DataError with search help
        raise DataError(f"the {name} recipe needs both the train and the test split in one folder")
    train = named.read_split(name, folder, "train")
    test = named.read_split(name, folder, "test")
    split = {
        "source": f"{name} train split (60,000) for training, test split (10,000) for the accuracy",
        "train": len(train),
        "held_out": len(test),
    }
    return train, test, split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ganstudio.recipes.train_classifier",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dataset", help="mnist or fashion-mnist")
    parser.add_argument("--data-dir", type=Path, help="folder holding the IDX files")
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default: {models_dir()})")
    parser.add_argument("--epochs", type=int, help="default: 30 for MNIST, 8 for Fashion-MNIST")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    args = parser.parse_args(argv)

    try:
        name = canonical_name(args.dataset)
    except DataError as exc:
        parser.error(str(exc))
    out = args.out if args.out is not None else models_dir()
    epochs = args.epochs or DEFAULT_EPOCHS[name]
    torch.set_num_threads(args.threads)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731

    try:
        train, held_out, split = load_splits(name, args.data_dir, args.seed, log)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    log(f"{name}: training on {len(train):,} images, measuring on {len(held_out):,}, {epochs} epochs")
    start = time.perf_counter()
    augment = Augment.for_dataset(name)
    model, accuracy = train_classifier(train, held_out, epochs=epochs, seed=args.seed, log=log, augment=augment)
    seconds = time.perf_counter() - start
    _, per_class = evaluate_accuracy(model, held_out)
    log(f"{name}: held-out accuracy {accuracy:.4f} after {seconds:.0f} s")

    stem = f"{name}-classifier"
    metadata = classifier_metadata(name, train.class_names, accuracy, split, args.seed, epochs)
    onnx_path = export_classifier_onnx(model, out / f"{stem}.onnx", metadata)
    card = {
        "dataset": name,
        "file": onnx_path.name,
        "split": split,
        "epochs": epochs,
        "seed": args.seed,
        "augmentation": augment.__dict__,
        "held_out_accuracy": round(accuracy, 6),
        "per_class_accuracy": {c: round(a, 6) for c, a in zip(train.class_names, per_class, strict=False)},
        "training_seconds": round(seconds, 1),
        "threads": args.threads,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "arch": metadata["arch"],
        "parameters": sum(p.numel() for p in model.parameters()),
        "onnx_bytes": onnx_path.stat().st_size,
        "io": {
            "input": "image float32 [N, 1, 28, 28] in [0, 1]",
            "outputs": ["logits float32 [N, 10]", "features float32 [N, 256] (penultimate, post-ReLU)"],
        },
    }
    card_path = out / f"{stem}.json"
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {onnx_path} ({card['onnx_bytes']:,} bytes) and {card_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
