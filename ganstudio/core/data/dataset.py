"""The in-memory image dataset every loader returns and the trainer consumes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganstudio.errors import GanStudioError


class DataError(GanStudioError):
    """A dataset could not be found, read or validated. The message is shown to the user as is."""


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """Images held as uint8 so that 70,000 Fashion-MNIST images take ~55 MB, not ~220 MB as float32."""

    images: np.ndarray  # (N, C, H, W) uint8, 0..255
    labels: np.ndarray  # (N,) int64 in [0, len(class_names)); all zeros when unlabelled
    class_names: tuple[str, ...]  # () for an unlabelled dataset
    name: str  # "mnist", "fashion-mnist" or the folder path
    split: str = ""  # "train", "test" or "" for folders

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.dtype != np.uint8:
            raise DataError(f"images must be uint8 (N, C, H, W), got {self.images.dtype} {self.images.shape}")
        if len(self.images) == 0:
            raise DataError(f"dataset {self.name!r} holds no images")
        if self.labels.shape != (len(self.images),):
            raise DataError(f"{len(self.labels)} labels for {len(self.images)} images in {self.name!r}")

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.images.shape[2])

    def __len__(self) -> int:
        return len(self.images)

    def as_float(self, indices: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Images in [-1, 1] float32, the range the generator's tanh produces."""
        return self.images[indices].astype(np.float32) / 127.5 - 1.0
