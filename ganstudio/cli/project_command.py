"""`ganstudio project MODEL IMAGE... --out-dir DIR`: your own digit as a sample of the model.

Each picture is made MNIST-style (runtime.digit_preprocess), projected (runtime.projection), and written as
`<DIR>/<picture stem>.png`: the model's sample with its sample state (model SHA-256, z, class) in the PNG, so
`ganstudio info` prints it and opening or dropping it in the app restores it. One line per picture gives the
pixel error after each stage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganstudio.cli.model_commands import resolve_model
from ganstudio.runtime.projection import DEFAULT_REFINE_STEPS


def add_parser(sub: argparse._SubParsersAction) -> None:
    project = sub.add_parser("project", help="find the model's sample closest to your own digit pictures")
    project.add_argument("model", help="an .onnx model, a .safetensors checkpoint, a run folder or a shipped name")
    project.add_argument("images", nargs="+", help="pictures of digits (any format Pillow reads)")
    project.add_argument(
        "--out-dir", required=True, help="folder for one <name>.png per picture (it records z and class)"
    )
    project.add_argument(
        "--steps", type=int, default=DEFAULT_REFINE_STEPS, help="gradient refinement steps (needs the checkpoint)"
    )
    project.add_argument("--no-refine", action="store_true", help="the encoder's (or random search's) answer only")
    project.add_argument("--scale", type=int, default=1, help="nearest-neighbour upscaling of the written PNG")
    project.set_defaults(handler=run_project)


def run_project(args: argparse.Namespace) -> int:
    from ganstudio.runtime.backends import open_generator
    from ganstudio.runtime.digit_preprocess import load_picture, mnist_style
    from ganstudio.runtime.imaging import to_uint8
    from ganstudio.runtime.model_hash import model_sha256
    from ganstudio.runtime.png_state import save_png_with_state
    from ganstudio.runtime.projection import Projector

    if args.steps < 0 or not 1 <= args.scale <= 64:
        raise ValueError("--steps must be >= 0 and --scale in 1..64")
    model_path = resolve_model(args.model)
    backend = open_generator(model_path)
    sha256 = model_sha256(model_path)
    projector = Projector.for_model(backend, model_path, refine=not args.no_refine, refine_steps=args.steps)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"projecting with {projector.describe()}", file=sys.stderr)
    for image_path in map(Path, args.images):
        digit = mnist_style(load_picture(image_path), backend.info.image_size)
        result = projector.project(digit)
        png = out_dir / f"{image_path.stem}.png"
        save_png_with_state(to_uint8(result.image[None])[0], png, result.sample_state(sha256, args.scale))
        stages = " -> ".join(f"{name} {error:.4f}" for name, error in result.stages)
        label = "" if result.label is None else f", class {backend.info.class_name(result.label)}"
        print(f"{image_path}: pixel MSE {result.error:.4f} ({stages}){label} -> {png}")
    return 0
