"""Commands that use a trained model: export, sample, interpolate, info, evaluate."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ganstudio.paths import shipped_model_path

if TYPE_CHECKING:
    from ganstudio.runtime.backends import GeneratorBackend
    from ganstudio.runtime.model_info import ModelInfo


def add_parsers(sub: argparse._SubParsersAction) -> None:
    model_help = "an .onnx model, a .safetensors checkpoint, a run folder or a shipped model's name (mnist)"

    export = sub.add_parser("export", help="export a run's generator to ONNX")
    export.add_argument("source", help="run folder or checkpoint")
    export.add_argument("--out", required=True, help="the .onnx file to write")
    export.add_argument("--no-ema", action="store_true", help="export the raw generator instead of its EMA")
    export.set_defaults(handler=run_export)

    sample = sub.add_parser("sample", help="save a grid of samples")
    sample.add_argument("model", help=model_help)
    sample.add_argument("--n", type=int, default=64, help="number of samples")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--label", type=int, help="class index for conditional models (default: cycle classes)")
    sample.add_argument("--truncation", type=float, default=1.0, help="scale latents towards 0 (0..1 typical)")
    sample.add_argument("--columns", type=int, help="grid columns (default: square)")
    sample.add_argument("--scale", type=int, default=4, help="nearest-neighbour upscaling factor")
    sample.add_argument("--out", required=True, help="PNG file to write (it records how to make it again)")
    sample.add_argument(
        "--from", dest="from_png", metavar="IMAGE.png", help="make again the sample or grid a GAN Studio PNG records"
    )
    sample.set_defaults(handler=run_sample)

    interp = sub.add_parser("interpolate", help="interpolate between seeds as a strip or an animation")
    interp.add_argument("model", help=model_help)
    interp.add_argument("--seeds", type=int, nargs="+", required=True, help="two or more keyframe seeds")
    interp.add_argument("--steps", type=int, default=16, help="frames per segment, keyframes included")
    interp.add_argument("--slerp", action="store_true", help="spherical instead of linear interpolation")
    interp.add_argument("--label", type=int, help="class index for conditional models")
    interp.add_argument("--truncation", type=float, default=1.0)
    interp.add_argument("--fps", type=float, default=12.0, help="frames per second for GIF output")
    interp.add_argument("--scale", type=int, default=4)
    interp.add_argument("--out", required=True, help=".png strip or .gif animation")
    interp.set_defaults(handler=run_interpolate)

    info = sub.add_parser("info", help="describe a model, or print the sample state a saved PNG records")
    info.add_argument("model", help=f"{model_help}, or a PNG saved by GAN Studio")
    info.set_defaults(handler=run_info)

    evaluate = sub.add_parser(
        "evaluate", help="quality metrics on held-out data: FID, SWD, class coverage, confidence (SWD for a folder)"
    )
    evaluate.add_argument("model", help=model_help)
    evaluate.add_argument("--n", type=int, default=5000, help="samples to generate")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument(
        "--dataset", help="reference: mnist, fashion-mnist or an image folder (default: the model's training data)"
    )
    evaluate.add_argument("--data-dir", help="folder holding the MNIST / Fashion-MNIST IDX files")
    evaluate.add_argument("--json", dest="json_out", help="also write the metrics to this JSON file")
    evaluate.add_argument(
        "--copying-samples",
        type=int,
        default=500,
        help="samples for the copying ratio: nearest-training distance of samples over that of held-out images "
        "(about 1 generalises, well below 1 copies; 0 skips it)",
    )
    evaluate.set_defaults(handler=run_evaluate)


def resolve_model(name: str) -> Path:
    """The model a command argument names: a path when one exists, else a shipped model's name ("mnist")."""
    path = Path(name)
    if path.exists():
        return path
    shipped = shipped_model_path(name)
    return shipped if shipped.is_file() else path  # a missing path keeps its own "file not found" message


def _open(name: str) -> GeneratorBackend:
    from ganstudio.runtime.backends import open_generator

    return open_generator(resolve_model(name))


def _labels_for(info: ModelInfo, n: int, label: int | None) -> np.ndarray | None:
    from ganstudio.cli.main import CliError

    if not info.num_classes:
        if label is not None:
            raise CliError("--label was given but this model is not class-conditional")
        return None
    if label is None:
        return (np.arange(n) % info.num_classes).astype(np.int64)
    if not 0 <= label < info.num_classes:
        raise CliError(f"--label must be in 0..{info.num_classes - 1} for this model")
    return np.full(n, label, np.int64)


def _check_positive(**values: int) -> None:
    from ganstudio.cli.main import CliError

    for name, value in values.items():
        if value < 1:
            raise CliError(f"--{name} must be at least 1, got {value}")


def _check_sampling(seeds: list[int], truncation: float = 1.0) -> None:
    """Seeds and truncation are checked before the model is opened (numpy's own messages name neither flag)."""
    import math

    from ganstudio.cli.main import CliError

    bad = [seed for seed in seeds if seed < 0]
    if bad:
        raise CliError(f"seeds must be 0 or more, got {bad[0]}")
    if not (math.isfinite(truncation) and truncation >= 0):
        raise CliError(f"--truncation must be a finite number of 0 or more (1 = none), got {truncation:g}")


def _check_out(out: str, model: str) -> None:
    """Before any work: `--out` must not overwrite the model read, nor a run's own files."""
    from ganstudio.runtime.output_guard import check_output_path

    check_output_path(Path(out), [resolve_model(model)])


def run_export(args: argparse.Namespace) -> int:
    from ganstudio.paths import CHECKPOINT_NAME
    from ganstudio.runtime.output_guard import check_output_path

    source = Path(args.source)
    read = source / CHECKPOINT_NAME if source.is_dir() else source  # export reads the checkpoint, not the .onnx
    check_output_path(Path(args.out), [read], own_export_of=source)  # before torch is imported: a typo costs nothing

    from ganstudio.core.checkpoint import load_generator
    from ganstudio.core.export import export_onnx

    generator, model_config, train_config, summary = load_generator(source, prefer_ema=not args.no_ema)
    path = export_onnx(generator, model_config, train_config, Path(args.out), summary)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def run_sample(args: argparse.Namespace) -> int:
    """A grid (or with --n 1 one sample, unpadded) saved with the state that makes it again."""
    from ganstudio.cli.sample_state import render_state, sample_from
    from ganstudio.runtime.imaging import make_grid
    from ganstudio.runtime.latent import sample_latents
    from ganstudio.runtime.model_hash import model_sha256
    from ganstudio.runtime.output_limits import check_grid
    from ganstudio.runtime.png_state import GridRecipe, SampleState, save_png_with_state

    _check_positive(n=args.n, scale=args.scale)
    _check_sampling([args.seed], args.truncation)
    _check_out(args.out, args.model)
    backend = _open(args.model)
    info = backend.info
    sha = model_sha256(resolve_model(args.model))
    if args.from_png:
        state = sample_from(args, backend, sha)
        if state.grid is None:
            save_png_with_state(render_state(backend, state), Path(args.out), state)
            print(f"wrote the sample {args.from_png} records to {args.out}", file=sys.stderr)
            return 0
    check_grid(args.n, info.image_size, info.channels, args.scale, columns=args.columns)
    labels = _labels_for(info, args.n, args.label)
    if args.n == 1:
        raw = sample_latents(1, info.latent_dim, args.seed)[0]  # before truncation, as Explore records it
        state = SampleState(sha, raw, args.truncation, None if labels is None else int(labels[0]), scale=args.scale)
        picture = render_state(backend, state)
    else:
        z = sample_latents(args.n, info.latent_dim, args.seed, args.truncation)
        recipe = GridRecipe(args.seed, args.n, args.columns, args.label)
        state = SampleState(sha, np.zeros(0, np.float32), args.truncation, scale=args.scale, grid=recipe)
        picture = make_grid(_generate_batched(backend, z, labels), columns=args.columns)
    save_png_with_state(picture, Path(args.out), state)
    print(f"wrote {args.n} samples to {args.out}", file=sys.stderr)
    return 0


def run_interpolate(args: argparse.Namespace) -> int:
    from ganstudio.cli.main import CliError
    from ganstudio.runtime.imaging import make_grid, save_gif, save_png, to_uint8, upscale
    from ganstudio.runtime.latent import keyframe_path, sample_latents
    from ganstudio.runtime.output_limits import check_fps, check_frames, check_grid

    if len(args.seeds) < 2:
        raise CliError("--seeds needs at least two seeds")
    if args.steps < 2:
        raise CliError("--steps must be at least 2")
    _check_positive(scale=args.scale)
    _check_sampling(args.seeds, args.truncation)
    out = Path(args.out)
    gif = out.suffix.lower() == ".gif"
    if gif:
        check_fps(args.fps)
    _check_out(args.out, args.model)
    backend = _open(args.model)
    info = backend.info
    frames = (len(args.seeds) - 1) * (args.steps - 1) + 1  # keyframe_path's count: each keyframe once
    if gif:
        check_frames(frames, info.image_size, info.channels, args.scale)
    else:
        check_grid(frames, info.image_size, info.channels, args.scale, columns=frames)
    keys = np.concatenate([sample_latents(1, info.latent_dim, seed, args.truncation) for seed in args.seeds])
    z = keyframe_path(keys, args.steps, spherical=args.slerp)
    label = args.label if args.label is not None or not info.num_classes else 0
    images = _generate_batched(backend, z, _labels_for(info, len(z), label))
    if gif:
        save_gif([upscale(frame, args.scale) for frame in to_uint8(images)], out, fps=args.fps)
    else:
        save_png(make_grid(images, columns=len(images)), out, scale=args.scale)
    print(f"wrote {len(images)} frames to {out}", file=sys.stderr)
    return 0


def _generate_batched(
    backend: GeneratorBackend, z: np.ndarray, labels: np.ndarray | None, batch: int = 256
) -> np.ndarray:
    from ganstudio.runtime.finite import require_finite_images

    parts = [
        backend.generate(z[i : i + batch], None if labels is None else labels[i : i + batch])
        for i in range(0, len(z), batch)
    ]
    return require_finite_images(np.concatenate(parts), backend.info.source or "the model")


def run_info(args: argparse.Namespace) -> int:
    from ganstudio.cli.sample_state import is_png, print_png_state

    if is_png(args.model):
        return print_png_state(args.model)
    backend = _open(args.model)
    print(backend.info.describe())
    return 0


MAX_COPYING_SAMPLES = 10_000


def _copying(backend: GeneratorBackend, args: argparse.Namespace) -> dict[str, object]:
    """The copying ratio in each space, printed; when the training images are not at hand, why not."""
    from ganstudio.errors import GanStudioError
    from ganstudio.runtime.nearest import copying_ratios, describe_ratio, nearest_index_for

    try:
        index = nearest_index_for(backend.info, args.data_dir)
        ratios = copying_ratios(backend, index, args.copying_samples, args.seed, args.data_dir)
    except GanStudioError as exc:  # no training images or classifier here: the other metrics still stand
        print(f"copying ratio: unavailable ({exc})")
        return {"available": False, "reason": str(exc)}
    for ratio in ratios:
        print(describe_ratio(ratio))
    return {"available": True, **{r.space: r.to_dict() for r in ratios}}


def run_evaluate(args: argparse.Namespace) -> int:
    import json

    from ganstudio.core.metrics import evaluate_model, format_report
    from ganstudio.runtime.imaging import atomic_write
    from ganstudio.runtime.output_limits import check_generated

    _check_sampling([args.seed])
    if not 0 <= args.copying_samples <= MAX_COPYING_SAMPLES:  # each is compared with every training image
        raise ValueError(f"--copying-samples must be in 0..{MAX_COPYING_SAMPLES:,}, got {args.copying_samples}")
    if args.json_out:
        _check_out(args.json_out, args.model)
    backend = _open(args.model)
    check_generated(args.n, backend.info.image_size, backend.info.channels)
    report = evaluate_model(
        backend,
        n=args.n,
        seed=args.seed,
        dataset=args.dataset,
        data_dir=args.data_dir,
        log=lambda s: print(s, file=sys.stderr),
    )
    print(format_report(report))
    document = report.to_json_dict()
    own_data = args.dataset in (None, backend.info.dataset)  # the ratio compares with the model's training images
    if args.copying_samples > 0 and own_data and document.get("available"):
        document["copying_ratio"] = _copying(backend, args)
    if args.json_out:
        text = json.dumps(document, indent=2, sort_keys=True)
        # Temp file + rename: a full disk leaves the previous report (or none), never a 0-byte file.
        atomic_write(Path(args.json_out), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return 0
