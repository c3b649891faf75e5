"""`ganstudio nearest MODEL --seed S --k 8 --out nn.png`: is the model copying its training images?

Writes a picture: the sample, then its k nearest training images in pixel space (first row) and in the
classifier's feature space (second row); prints the distances, and the copying ratio of a batch
(runtime.nearest: about 1 generalises, well below 1 copies). --json writes all of it for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ganstudio.cli.model_commands import resolve_model
from ganstudio.runtime.nearest import RATIO_SAMPLES


def add_parser(sub: argparse._SubParsersAction) -> None:
    nearest = sub.add_parser("nearest", help="a sample's nearest training images, and the copying ratio")
    nearest.add_argument("model", help="an .onnx model, a .safetensors checkpoint, a run folder or a shipped name")
    nearest.add_argument("--seed", type=int, default=0, help="the sample's latent seed (as `ganstudio sample`)")
    nearest.add_argument("--label", type=int, help="class index for conditional models (default 0)")
    nearest.add_argument("--k", type=int, default=8, help="neighbours per space")
    nearest.add_argument("--ratio-samples", type=int, default=RATIO_SAMPLES, help="batch size of the ratio (0: skip)")
    nearest.add_argument("--data-dir", help="folder holding the MNIST / Fashion-MNIST IDX files")
    nearest.add_argument("--scale", type=int, default=4, help="nearest-neighbour upscaling of the picture")
    nearest.add_argument("--out", required=True, help="PNG to write")
    nearest.add_argument("--json", dest="json_out", help="also write distances and ratios to this JSON file")
    nearest.set_defaults(handler=run_nearest)


def run_nearest(args: argparse.Namespace) -> int:
    from ganstudio.runtime.backends import open_generator
    from ganstudio.runtime.imaging import make_grid, save_png
    from ganstudio.runtime.latent import sample_latents
    from ganstudio.runtime.nearest import (
        copying_ratios,
        describe_ratio,
        nearest_index_for,
        spaces_of,
        training_split,
    )

    if args.k < 1 or args.scale < 1 or args.ratio_samples < 0:
        raise ValueError("--k and --scale must be >= 1, --ratio-samples >= 0")
    backend = open_generator(resolve_model(args.model))
    info = backend.info
    labels = np.array([args.label or 0], np.int64) if info.conditional else None
    sample = backend.generate(sample_latents(1, info.latent_dim, args.seed, 1.0), labels)  # (1, C, H, W)
    index = nearest_index_for(info, args.data_dir)
    spaces = spaces_of(index)
    report: dict[str, object] = {"seed": args.seed, "training": f"{info.dataset} {training_split(info)} split"}
    rows = []
    for space in spaces:
        found = index.nearest(sample, args.k, space)
        idx, dist = found.indices[0], found.distances[0]
        print(f"{space} space: " + ", ".join(f"#{i} ({d:.3f})" for i, d in zip(idx, dist, strict=True)))
        report[space] = [
            {"index": int(i), "label": int(index.labels[i]), "distance": float(d)}
            for i, d in zip(idx, dist, strict=True)
        ]
        rows.append(np.concatenate([sample.astype(np.float32), index.images[idx].astype(np.float32) / 255.0]))
    if args.ratio_samples:
        ratios = copying_ratios(backend, index, args.ratio_samples, args.seed + 1, args.data_dir)
        for r in ratios:
            print(describe_ratio(r))
        report["ratio"] = {r.space: r.to_dict() for r in ratios}
    save_png(make_grid(np.concatenate(rows), columns=args.k + 1), Path(args.out), scale=args.scale)
    print(f"wrote {args.out}", file=sys.stderr)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0
