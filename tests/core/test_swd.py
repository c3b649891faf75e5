"""Multi-scale sliced Wasserstein distance: the pyramid, the 1-D distances, the floor, and image folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.core import swd
from ganstudio.core.metrics import SwdReport, evaluate_generator_images, evaluate_model, format_report
from ganstudio.core.quality_math import MetricsError
from ganstudio.core.swd_metrics import SwdReference, clear_folder_references
from ganstudio.runtime.model_info import ModelInfo

scipy_ndimage = pytest.importorskip("scipy.ndimage")
GAUSSIAN_5x5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]).astype(np.float32) / 256  # the reference's filter


def test_levels_go_down_to_14_pixels() -> None:
    assert swd.resolutions(28) == (28, 14)
    assert swd.resolutions(32) == (32, 16)
    assert swd.resolutions(64) == (64, 32, 16)
    with pytest.raises(MetricsError):
        swd.resolutions(5)


def test_pyramid_matches_the_reference_filters_and_reconstructs() -> None:
    x = np.random.default_rng(0).random((3, 3, 28, 28), dtype=np.float32)
    down = scipy_ndimage.convolve(x, GAUSSIAN_5x5[None, None], mode="mirror")[:, :, ::2, ::2]
    np.testing.assert_allclose(swd.pyr_down(x), down, atol=1e-5)
    zeros = np.zeros_like(x)
    zeros[:, :, ::2, ::2] = down
    up = scipy_ndimage.convolve(zeros, 4 * GAUSSIAN_5x5[None, None], mode="mirror")
    np.testing.assert_allclose(swd.pyr_up(down, (28, 28)), up, atol=1e-5)
    levels = swd.laplacian_pyramid(x, 3)
    assert [lv.shape[2] for lv in levels] == [28, 14, 7]
    rebuilt = levels[2]
    for level in levels[1::-1]:
        rebuilt = swd.pyr_up(rebuilt, level.shape[2:]) + level
    np.testing.assert_allclose(rebuilt, x, atol=1e-5)  # the detail bands plus the low-pass give the image back


def test_sliced_wasserstein_of_a_shift_and_of_identical_sets() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4000, 3)).astype(np.float32)
    dirs = swd.directions(3, 0, seed=0)
    assert swd.sliced_wasserstein(a, a.copy(), dirs) == pytest.approx(0.0, abs=1e-7)
    shift = np.array([0.5, 0.0, 0.0], np.float32)
    # Shifting every point by s moves each projection by s . d: the 1-D distance is |s . d| exactly.
    expected = float(np.abs(shift @ dirs).mean())
    assert swd.sliced_wasserstein(a, a + shift, dirs) == pytest.approx(expected, rel=1e-4)
    with pytest.raises(MetricsError, match="equally large"):
        swd.sliced_wasserstein(a, a[:10], dirs)


def _blobs(n: int, seed: int, size: int = 28, channels: int = 1) -> np.ndarray:
    """Images of one bright disc each at a random place: a toy "real" distribution with local structure."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    cy, cx = rng.uniform(6, size - 6, (2, n, 1, 1))
    r = rng.uniform(3, 6, (n, 1, 1))
    discs = ((yy - cy) ** 2 + (xx - cx) ** 2 < r**2).astype(np.float32)
    colour = rng.uniform(0.5, 1.0, (n, channels, 1, 1))
    return (discs[:, None] * colour * 255).astype(np.uint8)


@pytest.mark.slow
def test_real_images_score_near_the_floor_and_others_far_above() -> None:
    ref = SwdReference(_blobs(300, 0), _blobs(300, 1))
    same = ref.score(_blobs(300, 2))
    assert (
        same.resolutions == (28, 14) and len(same.swd) == 2 and same.patches == swd.MAX_PATCHES
    )  # 128 per image, capped
    assert 0.7 < same.ratio < 1.4, same
    noise = ref.score(np.random.default_rng(3).random((300, 1, 28, 28)))
    blurred = ref.score(swd._blur(swd._blur(_blobs(300, 4).astype(np.float32))))
    assert noise.ratio > 4 and blurred.ratio > 1.5, (noise, blurred)
    assert ref.score(_blobs(300, 2)) == same  # seeded: the same images give the same numbers


def _write_folder(root: Path, n: int) -> Path:
    images = _blobs(n, 5, size=32, channels=3)
    for i, image in enumerate(images):
        folder = root / ("red" if i % 2 else "blue")
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(image.transpose(1, 2, 0))).save(folder / f"{i}.png")
    return root


class FolderStub:
    """A "generator" trained on an image folder, returning images of the same kind (or noise)."""

    def __init__(self, folder: Path, noise: bool = False) -> None:
        self.noise = noise
        self.info = ModelInfo(
            latent_dim=4, num_classes=0, class_names=(), image_size=32, channels=3, dataset=str(folder),
            arch="stub", loss="", source="stub", backend="numpy",
        )  # fmt: skip

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        seed = int(abs(float(z[0, 0])) * 1e6)
        if self.noise:
            return np.random.default_rng(seed).random((len(z), 3, 32, 32), dtype=np.float32)
        return _blobs(len(z), seed, size=32, channels=3).astype(np.float32) / 255


@pytest.mark.slow
def test_an_image_folder_is_measured_with_swd_against_its_halves(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "blobs", 200)
    clear_folder_references()
    good = evaluate_model(FolderStub(folder), n=200, seed=0, log=lambda s: None)
    assert isinstance(good, SwdReport) and good.n == 200 and good.seed == 0
    assert good.reference.n == 200 and good.swd.real_images == 100  # two halves of 100
    assert good.swd.resolutions == (32, 16) and 0.6 < good.swd.ratio < 1.6, good.swd
    bad = evaluate_model(FolderStub(folder, noise=True), n=200, seed=0, log=lambda s: None)
    assert bad.swd.ratio > 3 * good.swd.ratio
    assert bad.swd.floor_mean == good.swd.floor_mean  # the folder's floor is computed once and reused
    assert "SWD / floor" in format_report(bad)
    with pytest.raises(MetricsError, match="square"):
        evaluate_generator_images(np.zeros((8, 3, 32, 16), np.float32), str(folder))


def test_a_folder_too_small_to_halve_is_refused(tmp_path: Path) -> None:
    folder = _write_folder(tmp_path / "tiny", 3)
    clear_folder_references()
    with pytest.raises(MetricsError, match="at least 4 images"):
        evaluate_generator_images(np.zeros((8, 3, 32, 32), np.float32), str(folder))
