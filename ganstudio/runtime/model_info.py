"""What is known about a loaded generator (`ModelInfo`), and the error raised when a model cannot be opened."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ganstudio.errors import GanStudioError

# Where a generator came from: an exported .onnx file, a torch checkpoint (file or run folder), or the
# generator of the training run in progress (rebuilt from snapshots, so it changes as training goes on).
SourceKind = Literal["file", "checkpoint", "live"]


class ModelLoadError(GanStudioError):
    """A model file is missing, damaged, foreign or breaks the ONNX contract; the message says which."""


@dataclass(frozen=True)
class ModelInfo:
    """What is known about a loaded generator; plain data, safe to pass between threads."""

    latent_dim: int
    num_classes: int  # 0 = unconditional
    class_names: tuple[str, ...]  # may be empty even when conditional (then classes are shown by index)
    image_size: int  # square images: H == W == image_size
    channels: int  # 1 or 3
    dataset: str  # "" when unknown
    arch: str  # "" when unknown
    loss: str  # "" when unknown
    source: str  # the file or folder it was loaded from ("" for an in-memory module)
    backend: str  # "onnxruntime" or "torch"
    model_config: dict[str, Any] | None = None
    train_config: dict[str, Any] | None = None
    summary: dict[str, str] = field(default_factory=dict)  # training summary: steps, minutes, images_seen, ...
    source_kind: SourceKind = "file"

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    @property
    def is_live(self) -> bool:
        """True for the training run's generator, which the GUI replaces with each new snapshot."""
        return self.source_kind == "live"

    def class_name(self, index: int) -> str:
        return self.class_names[index] if 0 <= index < len(self.class_names) else str(index)

    def describe(self) -> str:
        """Multi-line human summary for `ganstudio info` and the GUI's model panel."""
        colour = {1: "grayscale", 3: "RGB"}.get(self.channels, f"{self.channels} channels")
        if self.conditional:
            names = ", ".join(self.class_name(i) for i in range(min(self.num_classes, 10)))
            more = ", ..." if self.num_classes > 10 else ""
            classes = f"{self.num_classes} ({names}{more})"
        else:
            classes = "unconditional"
        lines = [
            f"GAN Studio generator ({self.backend})",
            f"  source:       {self.source or '(in memory)'}",
            f"  architecture: {self.arch or 'unknown'}",
            f"  images:       {self.image_size}x{self.image_size} {colour}",
            f"  latent size:  {self.latent_dim}",
            f"  classes:      {classes}",
            f"  dataset:      {self.dataset or 'unknown'}",
            f"  loss:         {self.loss or 'unknown'}",
        ]
        if self.summary:
            lines.append(f"  training:     {describe_training(self.summary)}")
        return "\n".join(lines)


# Summary keys that describe_training words itself, in the order shown; the rest follow as "key value".
_HIDDEN_KEYS = ("elapsed_seconds", "ganstudio_version")  # shown as minutes / not a training fact


def training_minutes(summary: dict[str, str]) -> str | None:
    """Training time in minutes, one decimal. Computed from `elapsed_seconds` when the summary has it, so a
    checkpoint and the ONNX exported from it (which both carry the seconds) round the same number the same way;
    older files only carry the rounded `minutes`."""
    seconds = summary.get("elapsed_seconds")
    if seconds is not None:
        try:
            return f"{float(seconds) / 60:.1f}"
        except ValueError:
            pass
    return summary.get("minutes")


def _count(text: str) -> str:
    try:
        value = int(float(text))
    except ValueError:
        return text
    return f"{value / 1e6:.1f}\u00a0M" if value >= 1_000_000 else f"{value:,}"  # no line break inside


def describe_training(summary: dict[str, str]) -> str:
    """A model's training summary for people: "step 140,000, 17.9 M images, 85.4 min, test split, ..."."""
    parts: list[str] = []
    if "step" in summary:
        parts.append(f"step {_count(summary['step'])}")
    if "images_seen" in summary:
        parts.append(f"{_count(summary['images_seen'])} images")
    minutes = training_minutes(summary)
    if minutes is not None:
        parts.append(f"{minutes}\u00a0min")
    if "epoch" in summary:
        parts.append(f"epoch {_count(summary['epoch'])}")
    if "dataset_split" in summary:
        parts.append(f"{summary['dataset_split']} split")
    if "device" in summary:
        parts.append(f"on {summary['device']}")
    if "finished_reason" in summary:
        parts.append(summary["finished_reason"])
    worded = ("step", "images_seen", "minutes", "epoch", "dataset_split", "device", "finished_reason")
    parts += [
        f"{key.replace('_', ' ')} {value}"
        for key, value in sorted(summary.items())
        if key not in worded and key not in _HIDDEN_KEYS
    ]
    return ", ".join(parts) or "—"


__all__ = ["ModelInfo", "ModelLoadError", "SourceKind", "describe_training", "training_minutes"]
