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
            lines.append("  training:")
            width = max(len(k) for k in self.summary)
            lines += [f"    {k.ljust(width)}  {v}" for k, v in sorted(self.summary.items())]
        return "\n".join(lines)


__all__ = ["ModelInfo", "ModelLoadError", "SourceKind"]
