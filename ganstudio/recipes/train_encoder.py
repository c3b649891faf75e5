"""Train the latent encoder shipped beside a generator: `<out>/<name>-encoder.onnx` and its card.

    python -m ganstudio.recipes.train_encoder mnist [--steps 3000] [--data-dir D] [--out models/]

Reads the generator's card (`<name>.json`) for its checkpoint and for the dataset split it was trained on, and
trains E on generated images plus that split's real images (core.encoder_training). The other split stays
unseen, so benchmarks/projection.py can measure projection on digits no model here was trained on. The card
records the recipe, the final losses and the wall time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

from ganstudio.core.checkpoint import load_generator
from ganstudio.core.data import DataError, named
from ganstudio.core.encoder import EncoderConfig, encoder_metadata, export_encoder_onnx
from ganstudio.core.encoder_training import EncoderStep, EncoderTrainConfig, train_encoder
from ganstudio.paths import models_dir
from ganstudio.runtime.projection import ENCODER_SUFFIX


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ganstudio.recipes.train_encoder",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = EncoderTrainConfig()
    parser.add_argument("name", help="a shipped generator: mnist, mnist-conditional, fashion-mnist")
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=int, default=defaults.threads, help="torch CPU threads")
    parser.add_argument("--data-dir", type=Path, help="folder holding the dataset's IDX files")
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default: {models_dir()})")
    args = parser.parse_args(argv)
    folder_of_models = models_dir()
    out = args.out if args.out is not None else folder_of_models
    card_path = folder_of_models / f"{args.name}.json"
    if not card_path.is_file():
        parser.error(f"no model card {card_path}: the recipe trains encoders for shipped generators")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    dataset, split = card["dataset"]["name"], card["dataset"]["split"]
    generator, model_cfg, _, _ = load_generator(folder_of_models / card["checkpoint"])
    try:
        located = next(
            (f for f, _ in named.search_locations(dataset, args.data_dir) if named.find_pair(dataset, f, split)), None
        )
        if located is None:
            raise DataError(f"the {split} split of {dataset} (the generator's training data) was not found")
        real = named.read_split(dataset, located, split)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    enc_cfg = EncoderConfig(model_cfg.latent_dim, model_cfg.num_classes, model_cfg.image_size, model_cfg.channels)
    cfg = EncoderTrainConfig(steps=args.steps, seed=args.seed, threads=args.threads)
    _log(f"{args.name}: training the encoder for {cfg.steps} steps on generated + {len(real):,} real {split} images")
    last: list[EncoderStep] = []

    def report(step: EncoderStep) -> None:
        last[:] = [step]
        _log(
            f"  step {step.step}: latent MSE {step.latent_loss:.4f}, pixel MSE {step.pixel_loss:.4f}, "
            f"{step.seconds:.0f} s"
        )

    start = time.perf_counter()
    encoder = train_encoder(generator, enc_cfg, cfg, real.images, real.labels, progress=report)
    seconds = time.perf_counter() - start
    generator_file = folder_of_models / card["file"]
    generator_sha = hashlib.sha256(generator_file.read_bytes()).hexdigest()
    recipe = {"encoder": asdict(enc_cfg), "training": asdict(cfg), "real_images": f"{dataset} {split} split"}
    metadata = encoder_metadata(enc_cfg, generator_sha, {"generator": card["file"], "recipe": recipe})
    path = export_encoder_onnx(encoder, out / f"{args.name}{ENCODER_SUFFIX}", metadata)
    final = last[0] if last else None
    encoder_card = {
        "generator": card["file"],
        "generator_sha256": generator_sha,
        "file": path.name,
        "recipe": recipe,
        "command": f"python -m ganstudio.recipes.train_encoder {args.name} --steps {cfg.steps} --seed {cfg.seed}",
        "final_latent_mse": round(final.latent_loss, 5) if final else None,
        "final_pixel_mse": round(final.pixel_loss, 5) if final else None,
        "training_seconds": round(seconds, 1),
        "threads": cfg.threads,
        "parameters": sum(p.numel() for p in encoder.parameters()),
        "onnx_bytes": path.stat().st_size,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "io": {
            "input": "image float32 [N, C, H, W] in [0, 1]",
            "outputs": ["z float32 [N, Z]"] + (["logits float32 [N, K]"] if enc_cfg.num_classes else []),
        },
    }
    card_out = path.with_suffix(".json")
    card_out.write_text(json.dumps(encoder_card, indent=2) + "\n", encoding="utf-8")
    _log(f"wrote {path} ({encoder_card['onnx_bytes']:,} bytes) and {card_out} after {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
