"""The latent encoder E: image -> z (+ class logits for a conditional generator), and its ONNX export.

E gives projection its starting point in one forward pass; `core.encoder_training` trains it for one generator,
`ganstudio.runtime.projection` runs the exported file with onnxruntime (no torch needed to project).

ONNX file: input `image` float32 [N, C, H, W] in [0, 1] -> `z` float32 [N, Z] (and `logits` float32 [N, K] when
the generator is conditional). Its metadata deliberately has no `latent_dim` key: the model manager tells
generators from other .onnx files in the models folder by that key (DESIGN.md §8).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

ENCODER_FORMAT = "ganstudio-encoder-1"
_CHECK_BATCHES = (1, 5)


@dataclass(frozen=True)
class EncoderConfig:
    z_size: int  # the generator's latent size
    num_classes: int  # 0: unconditional generator, no logits output
    image_size: int  # 28 or 32: two stride-2 convolutions need a multiple of 4
    channels: int
    width: int = 16  # channels of the first convolution; doubled twice
    hidden: int = 256  # the fully connected layer before the outputs

    def __post_init__(self) -> None:
        if self.image_size % 4:
            raise ValueError(f"the encoder needs an image size divisible by 4, got {self.image_size}")


class LatentEncoder(nn.Module):
    """conv(w)/s2 - conv(2w)/s2 - conv(4w) - fc hidden - fc Z (+ fc K): small, batch-1 fast on a CPU."""

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        act = nn.LeakyReLU(0.2)
        self.features = nn.Sequential(
            nn.Conv2d(cfg.channels, w, 4, 2, 1),  # (N, w, H/2, W/2)
            act,
            nn.Conv2d(w, 2 * w, 4, 2, 1),  # (N, 2w, H/4, W/4)
            nn.BatchNorm2d(2 * w),
            act,
            nn.Conv2d(2 * w, 4 * w, 3, 1, 1),  # (N, 4w, H/4, W/4)
            nn.BatchNorm2d(4 * w),
            act,
            nn.Flatten(),
            nn.Linear(4 * w * (cfg.image_size // 4) ** 2, cfg.hidden),
            act,
        )
        self.to_z = nn.Linear(cfg.hidden, cfg.z_size)
        self.to_logits = nn.Linear(cfg.hidden, cfg.num_classes) if cfg.num_classes else None

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.features(image * 2.0 - 1.0)  # [0, 1] -> the generator's [-1, 1] range
        return self.to_z(h), (self.to_logits(h) if self.to_logits is not None else None)


class _ExportZ(nn.Module):
    def __init__(self, encoder: LatentEncoder) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.encoder(image)[0]


class _ExportZLogits(_ExportZ):
    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        z, logits = self.encoder(image)
        assert logits is not None
        return z, logits


def output_names(cfg: EncoderConfig) -> list[str]:
    return ["z", "logits"] if cfg.num_classes else ["z"]


def encoder_metadata(cfg: EncoderConfig, generator_sha256: str, extra: dict[str, object]) -> dict[str, str]:
    """The metadata_props of an encoder file: its shape, the generator it was trained for, and the recipe."""
    meta = {
        "format": ENCODER_FORMAT,
        "generator_sha256": generator_sha256,
        "encoder_config": json.dumps(asdict(cfg), sort_keys=True),
    }
    meta.update({key: value if isinstance(value, str) else json.dumps(value) for key, value in extra.items()})
    return meta


def export_encoder_onnx(encoder: LatentEncoder, path: Path, metadata: dict[str, str], atol: float = 1e-4) -> Path:
    """One self-contained .onnx file, checked against PyTorch at batch sizes 1 and 5 before it is written."""
    import onnx
    import onnxruntime as ort

    from ganstudio.core.export import export_proto
    from ganstudio.runtime.imaging import atomic_write

    cfg = encoder.cfg
    encoder = encoder.cpu().eval()
    wrapper = (_ExportZLogits(encoder) if cfg.num_classes else _ExportZ(encoder)).eval()
    gen = torch.Generator().manual_seed(0)
    example = (torch.rand(4, cfg.channels, cfg.image_size, cfg.image_size, generator=gen),)
    names = output_names(cfg)
    proto = export_proto(wrapper, example, ["image"], names)
    del proto.metadata_props[:]
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    proto.doc_string = f"GAN Studio latent encoder: image [N, {cfg.channels}, H, W] in [0, 1] -> {', '.join(names)}"
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    for batch in _CHECK_BATCHES:
        x = torch.rand(batch, cfg.channels, cfg.image_size, cfg.image_size, generator=gen)
        with torch.inference_mode():
            ref = wrapper(x)
        refs = [t.numpy() for t in (ref if isinstance(ref, tuple) else (ref,))]
        got = session.run(names, {"image": x.numpy()})
        diff = max(float(np.abs(a - b).max()) for a, b in zip(got, refs, strict=True))
        if not diff <= atol:
            raise RuntimeError(f"onnxruntime and PyTorch disagree by {diff:.3g} at batch {batch}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
    return path
