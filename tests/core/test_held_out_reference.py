"""The held-out rule: FID against the test split, the floor a same-sized train subset against it; the training
data as reference (and halves of it as the floor) when only one split is found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganstudio.core import metrics
from ganstudio.core.data import named
from ganstudio.core.metrics import QualityReport, evaluate_generator_images, format_report, get_reference
from ganstudio.core.real_reference import RealReference, RealSet
from tests.data_paths import shared_mnist

SHARED_MNIST = shared_mnist()
needs_both_splits = pytest.mark.skipif(
    not (SHARED_MNIST / "train-images-idx3-ubyte.gz").is_file()
    or not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file()
    or not metrics.classifier_path("mnist").is_file(),
    reason=f"needs both MNIST splits in {SHARED_MNIST} and the shipped classifier",
)


def _set(n: int, shift: float, seed: int) -> RealSet:
    rng = np.random.default_rng(seed)
    feats = (rng.standard_normal((n, 4)) + shift).astype(np.float32)
    labels = np.arange(n) % 2
    return RealSet(np.zeros((n, 1, 28, 28), np.uint8), feats, np.eye(2)[labels], labels)


def test_held_out_floor_draws_training_images_against_all_test_images() -> None:
    test, train = _set(400, 0.0, 0), _set(600, 0.0, 1)
    ref = RealReference("mnist", "test", "d", 28, test, ("a", "b"), pool=train)
    assert ref.held_out and ref.floor_size(5000) == 600 and ref.floor_size(100) == 100
    pool, index = ref.floor_sample(100, k=2)
    assert pool is train and len(index) == 100 and len(set(index)) == 100
    assert not np.array_equal(index, ref.floor_sample(100, k=3)[1])  # draws differ
    np.testing.assert_allclose(ref.stats(100, k=4)[0], test.features.mean(0), rtol=1e-6)  # always all test images
    assert ref.class_floor_size(0, 1000) == 300  # the pool's 300 images of class 0
    # A floor from a shifted "training" distribution shows up as a higher floor than same-distribution halves.
    shifted = RealReference("mnist", "test", "d", 28, test, ("a", "b"), pool=_set(600, 0.5, 1))
    assert shifted.floor(100) > ref.floor(100) + 0.5


def test_swd_compares_held_out_images_and_repeats_grey_for_an_rgb_generator() -> None:
    test, train = _set(400, 0.0, 0), _set(600, 0.0, 1)
    ref = RealReference("mnist", "test", "d", 28, test, ("a", "b"), pool=train)
    grey, rgb = ref.swd_reference(50), ref.swd_reference(50, channels=3)
    assert grey.compared.shape == (50, 1, 28, 28) and rgb.compared.shape == (50, 3, 28, 28)
    assert ref.swd_reference(50) is grey  # cached per size and channels


def test_without_a_pool_the_floor_is_two_halves_of_the_reference() -> None:
    test = _set(400, 0.0, 0)
    ref = RealReference("mnist", "test", "d", 28, test, ("a", "b"))
    assert not ref.held_out and ref.floor_size(5000) == 200
    a, b = ref.halves(150)
    real, index = ref.floor_sample(150)
    assert real is test and np.array_equal(index, b) and not set(a) & set(b)
    assert ref.class_floor_size(1, 1000) == 100


@pytest.fixture(scope="module")
def held_out_reference() -> RealReference:
    return get_reference("mnist", data_dir=SHARED_MNIST)


@pytest.mark.slow
@needs_both_splits
def test_with_both_splits_the_test_split_is_the_reference(held_out_reference: RealReference) -> None:
    ref = held_out_reference
    assert ref.held_out and ref.split == "test" and ref.n == 10_000
    assert ref.pool is not None and len(ref.pool) == 10_000  # a seeded training subset the size of the test split
    test = named.read_split("mnist", SHARED_MNIST, "test")
    assert np.array_equal(ref.reference.images, test.images)


@pytest.mark.slow
@needs_both_splits
def test_copying_the_test_digits_scores_below_the_floor(held_out_reference: RealReference) -> None:
    """A generator that memorised the reference images beats real unseen data: the floor is not reachable by
    generalising, which is why the reference must be data the model never saw."""
    test = named.read_split("mnist", SHARED_MNIST, "test")
    train = named.read_split("mnist", SHARED_MNIST, "train")
    rng = np.random.default_rng(7)  # random subsets: MNIST's files are ordered by writer group
    copied = evaluate_generator_images(test.images[rng.permutation(10_000)[:2000]], "mnist", data_dir=SHARED_MNIST)
    unseen = evaluate_generator_images(train.images[rng.permutation(60_000)[:2000]], "mnist", data_dir=SHARED_MNIST)
    assert isinstance(copied, QualityReport) and isinstance(unseen, QualityReport)
    assert copied.reference.held_out and copied.fid_floor == unseen.fid_floor
    assert copied.fid_ratio < 0.8 < unseen.fid_ratio < 1.3, (copied.fid_ratio, unseen.fid_ratio)
    assert "reference = the held-out test split (10,000 images)" in format_report(unseen)


@pytest.mark.slow
@pytest.mark.skipif(
    not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file() or not metrics.classifier_path("mnist").is_file(),
    reason=f"needs the MNIST test split in {SHARED_MNIST} and the shipped classifier",
)
def test_with_only_the_test_split_the_reference_is_the_training_data(tmp_path: Path) -> None:
    folder = tmp_path / "only-test"
    folder.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (folder / name).symlink_to(SHARED_MNIST / name)
    logs: list[str] = []
    digits = named.read_split("mnist", SHARED_MNIST, "test").images[::10]  # 1,000 of them
    report = evaluate_generator_images(digits, "mnist", data_dir=folder, log=logs.append)
    assert isinstance(report, QualityReport)
    assert not report.reference.held_out and report.reference.split == "test"
    assert any("reference = the training data (test split" in line for line in logs)
    text = format_report(report)
    assert "reference = the training data (test split, 10,000 images)" in text
    assert "two disjoint halves of the training data, 1,000 images each" in text
