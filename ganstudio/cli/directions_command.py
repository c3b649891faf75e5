"""`ganstudio directions MODEL --out dirs.json`: compute (or read from the cache) a model's named directions,
print what each one does on held-out seeds and save the set as JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "directions",
        help="find named directions in a model's latent space (PCA, ink, slant, width, height, classes)",
    )
    parser.add_argument(
        "model", help="an .onnx model, a .safetensors checkpoint, a run folder or a shipped model's name"
    )
    parser.add_argument("--out", required=True, help="the JSON file to write")
    parser.add_argument("--fresh", action="store_true", help="recompute even when the set is cached")
    parser.set_defaults(handler=run_directions)


def run_directions(args: argparse.Namespace) -> int:
    from ganstudio.cli.model_commands import resolve_model
    from ganstudio.runtime.backends import open_generator
    from ganstudio.runtime.direction_cache import directions_for
    from ganstudio.runtime.direction_set import save_directions

    path = resolve_model(args.model)
    backend = open_generator(path, intra_op_threads=0)
    try:
        directions, cached = directions_for(
            backend, path, progress=lambda text: print(f"{text}…", file=sys.stderr), use_cache=not args.fresh
        )
    finally:
        backend.close()
    width = max(len(name) for name in directions.names())
    for direction in directions.directions:
        report = direction.report.describe() if direction.report is not None else "(no report)"
        print(f"{direction.name:<{width}}  {direction.kind:<9}  {report}")
    save_directions(Path(args.out), directions)
    source = "read from the cache" if cached else "computed"
    print(f"wrote {len(directions.directions)} directions ({source}) to {args.out}", file=sys.stderr)
    return 0
