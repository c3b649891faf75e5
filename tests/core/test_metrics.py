"""Quality metrics: Frechet distance maths, the shipped classifiers, real-vs-real floors, coverage, reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganstudio.core import metrics
from ganstudio.core.metrics import (
    MetricsError,
    QualityReport,
    UnavailableReport,
    evaluate_generator_images,
    evaluate_images,
    evaluate_model,
    feature_stats,
    format_report,
    frechet_distance,
    get_extractor,
    get_reference,
    held_out_split,
    prepare_images,
)
from ganstudio.runtime.model_info import ModelInfo
from tests.data_paths import shared_mnist

SHARED_MNIST = shared_mnist()
MNIST_CLASSIFIER = metrics.classifier_path("mnist")
needs_mnist = pytest.mark.skipif(
    not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file() or not MNIST_CLASSIFIER.is_file(),
    reason=f"needs the shared MNIST test files in {SHARED_MNIST} and {MNIST_CLASSIFIER}",
)


# ---------------------------------------------------------------------------------------------------------------
# Frechet distance maths


def _random_cov(rng: np.random.Generator, d: int, rank: int | None = None) -> np.ndarray:
    a = rng.standard_normal((d, rank or d))
    return a @ a.T / (rank or d) + (0.0 if rank else 0.1 * np.eye(d))


def _sqrtm_denman_beavers(a: np.ndarray, iterations: int = 60) -> np.ndarray:
    """Principal square root of a matrix without eigen-decomposition (Denman-Beavers iteration)."""
    y, z = a.copy(), np.eye(len(a))
    for _ in range(iterations):
        y, z = 0.5 * (y + np.linalg.inv(z)), 0.5 * (z + np.linalg.inv(y))
    return y


def _reference_fd(mu1, c1, mu2, c2) -> float:
    covmean = _sqrtm_denman_beavers(c1 @ c2)  # the textbook formula, with an independent sqrtm
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(c1) + np.trace(c2) - 2 * np.trace(covmean))


def test_identical_statistics_give_zero() -> None:
    rng = np.random.default_rng(0)
    mu, cov = rng.standard_normal(16), _random_cov(rng, 16)
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("d", [1, 3, 8, 20])
def test_matches_an_independent_reference(d: int) -> None:
    rng = np.random.default_rng(d)
    for _ in range(3):
        mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
        c1, c2 = _random_cov(rng, d), _random_cov(rng, d)
        assert frechet_distance(mu1, c1, mu2, c2) == pytest.approx(_reference_fd(mu1, c1, mu2, c2), rel=1e-7, abs=1e-9)


def test_closed_forms() -> None:
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2; commuting (diagonal) covariances: sum (sqrt a - sqrt b)^2.
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4.0 + 1.0)
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.0])
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2) + 3.0
    assert frechet_distance(np.zeros(3), np.diag(a), np.ones(3), np.diag(b)) == pytest.approx(expected)


def test_symmetric_and_robust_to_singular_covariances() -> None:
    rng = np.random.default_rng(1)
    d = 32
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    c1, c2 = _random_cov(rng, d, rank=5), _random_cov(rng, d, rank=20)  # fewer samples than dimensions
    forward, backward = frechet_distance(mu1, c1, mu2, c2), frechet_distance(mu2, c2, mu1, c1)
    assert np.isfinite(forward) and forward > 0
    assert forward == pytest.approx(backward, rel=1e-8)
    assert frechet_distance(mu1, c1, mu1, c1) == pytest.approx(0.0, abs=1e-7)


def test_feature_stats_and_input_checks() -> None:
    feats = np.random.default_rng(2).standard_normal((50, 4))
    mu, cov = feature_stats(feats)
    np.testing.assert_allclose(mu, feats.mean(0))
    np.testing.assert_allclose(cov, np.cov(feats, rowvar=False))
    with pytest.raises(MetricsError):
        feature_stats(feats[:1])
    with pytest.raises(MetricsError):
        frechet_distance(mu, cov, mu[:3], cov[:3, :3])
    with pytest.raises(MetricsError):
        frechet_distance(mu * np.nan, cov, mu, cov)


def test_held_out_split_is_seeded_and_disjoint() -> None:
    train, held = held_out_split(100, 20, seed=3)
    assert len(train) == 80 and len(held) == 20 and not set(train) & set(held)
    again_train, again_held = held_out_split(100, 20, seed=3)
    assert np.array_equal(held, again_held) and np.array_equal(train, again_train)


def test_prepare_images_converts_sizes_channels_and_ranges() -> None:
    rng = np.random.default_rng(4)
    small = rng.random((3, 1, 28, 28), dtype=np.float32)
    doubled = np.repeat(np.repeat(small, 2, axis=2), 2, axis=3)  # 56x56, every pixel a 2x2 block
    np.testing.assert_allclose(prepare_images(doubled), small, atol=1e-6)  # area resize undoes it exactly
    rgb = np.repeat(small, 3, axis=1)
    np.testing.assert_allclose(prepare_images(rgb), small, atol=1e-6)  # grey stays grey
    assert prepare_images(rng.random((2, 3, 32, 32))).shape == (2, 1, 28, 28)
    assert prepare_images(np.full((1, 1, 28, 28), 255, np.uint8)).max() == pytest.approx(1.0)
    with pytest.raises(MetricsError, match=r"\(x \+ 1\) / 2"):
        prepare_images(small * 2 - 1)  # tanh output
    with pytest.raises(MetricsError):
        prepare_images(np.zeros((2, 2, 28, 28), np.float32))


# ---------------------------------------------------------------------------------------------------------------
# the shipped MNIST classifier on real digits


@pytest.fixture(scope="module")
def real_mnist():
    from ganstudio.core.data import named

    return named.read_split("mnist", SHARED_MNIST, "test")


@pytest.fixture(scope="module")
def reference():
    return get_reference("mnist", data_dir=SHARED_MNIST)


class StubBackend:
    """A "generator" that returns real MNIST test digits chosen by its latent (and of the requested class)."""

    def __init__(
        self, images: np.ndarray, digits: np.ndarray, conditional: bool = False, dataset: str = "mnist", size: int = 28
    ) -> None:
        self.images, self.digits = images.astype(np.float32) / 255, digits
        self.info = ModelInfo(
            latent_dim=4,
            num_classes=10 if conditional else 0,
            class_names=tuple("0123456789") if conditional else (),
            image_size=size,
            channels=1,
            dataset=dataset,
            arch="stub",
            loss="",
            source="stub",
            backend="numpy",
        )
        self.calls = 0

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        self.calls += 1
        pick = (np.abs(z[:, 0].astype(np.float64)) * 1e6).astype(np.int64) % len(self.images)
        if labels is not None:  # a digit of the requested class, chosen by the latent
            by_class = [np.flatnonzero(self.digits == c) for c in range(10)]
            pick = np.array([by_class[c][p % len(by_class[c])] for p, c in zip(pick, labels, strict=True)])
        out = self.images[pick]
        size = self.info.image_size
        return out if size == 28 else np.repeat(np.repeat(out, size // 28, 2), size // 28, 3)

    def close(self) -> None:
        pass


@needs_mnist
def test_classifier_accuracy_on_held_out_digits(real_mnist) -> None:
    extractor = get_extractor("mnist")
    split = json.loads(extractor.metadata["split"])
    _, held = held_out_split(len(real_mnist), split["held_out"], int(extractor.metadata["seed"]))
    probs, feats = extractor.run(real_mnist.images[held])
    assert probs.shape == (len(held), 10) and feats.shape == (len(held), metrics.FEATURE_DIM)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    accuracy = float((probs.argmax(1) == real_mnist.labels[held]).mean())
    assert accuracy >= 0.98
    assert accuracy == pytest.approx(extractor.held_out_accuracy, abs=1e-3)


@pytest.mark.slow
@needs_mnist
def test_real_vs_real_floor_is_small_and_noise_is_far(reference) -> None:
    m = 1000
    floor = reference.floor(m)
    assert 0 < floor < 10
    noise = np.random.default_rng(0).random((m, 1, 28, 28), dtype=np.float32)
    report = evaluate_images(noise, get_extractor("mnist"), reference.stats(m), reference.class_histogram)
    assert report.fid > 20 * floor
    assert reference.floor(m) == floor  # cached


@pytest.mark.slow
@needs_mnist
def test_collapsed_set_covers_one_class_with_big_kl(real_mnist, reference) -> None:
    ones = real_mnist.images[real_mnist.labels == 1][:500]
    report = evaluate_images(ones, get_extractor("mnist"), reference)
    assert report.classes_covered == 1
    assert report.kl_class > 2.0  # log(10) = 2.30 is total collapse
    balanced = evaluate_images(real_mnist.images[:2000], get_extractor("mnist"), reference)
    assert balanced.classes_covered == 10 and balanced.kl_class < 0.02
    assert balanced.mean_confidence > 0.95 and balanced.inception_score > 8.5


@pytest.mark.slow
@needs_mnist
def test_evaluate_model_on_real_digits_scores_like_real_data() -> None:
    from ganstudio.core.data import named

    # Digits the held-out reference never saw; with only the test split, that split is the reference and the floor
    # two halves of it, so its own digits score like real data too.
    split = "train" if named.find_pair("mnist", SHARED_MNIST, "train") else "test"
    digits = named.read_split("mnist", SHARED_MNIST, split)
    stub = StubBackend(digits.images[:20_000], digits.labels[:20_000])
    logs: list[str] = []
    report = evaluate_model(stub, n=2000, seed=1, data_dir=SHARED_MNIST, log=logs.append)
    assert isinstance(report, QualityReport) and report.dataset == "mnist" and report.n == 2000
    assert report.classes_covered == 10
    assert report.floor_n == 2000
    assert 0.7 < report.fid_ratio < 1.4, report  # as good as real data, up to sampling noise
    assert report.floor_splits == metrics.FLOOR_SPLITS and report.fid_floor_std > 0
    assert report.conditional_accuracy is None and report.per_class_fid is None
    assert stub.calls == 8  # batched generation (250 per call)
    assert json.loads(json.dumps(report.to_json_dict())) == report.to_json_dict()  # the CLI writes it as JSON
    assert report.swd is not None and 0.7 < report.swd.ratio < 1.4, report.swd
    text = format_report(report)
    assert "floor" in text and "WARNING" not in text


@pytest.mark.slow
@needs_mnist
def test_conditional_model_gets_per_class_scores(real_mnist) -> None:
    stub = StubBackend(real_mnist.images, real_mnist.labels, conditional=True, size=56)  # resized to 28 inside
    report = evaluate_model(stub, n=1000, seed=0, data_dir=SHARED_MNIST, log=lambda s: None)
    assert report.conditional_accuracy > 0.97
    assert len(report.per_class_fid) == 10 and all(f is not None and f >= 0 for f in report.per_class_fid)
    assert all(a > 0.9 for a in report.per_class_accuracy)
    assert report.reference.image_size == 56
    assert "accuracy" in format_report(report)


@pytest.mark.slow
@needs_mnist
def test_report_warns_about_mode_collapse(real_mnist) -> None:
    sevens = real_mnist.images[real_mnist.labels == 7][:300]
    report = evaluate_generator_images(sevens, "mnist", data_dir=SHARED_MNIST)
    assert report.classes_covered == 1 and report.fid_ratio > 5
    text = format_report(report)
    assert "WARNING: possible mode collapse" in text and "only 1 of 10" in text


def test_missing_folders_and_unknown_datasets_are_unavailable(tmp_path: Path) -> None:
    stub = StubBackend(np.zeros((10, 1, 28, 28), np.uint8), np.arange(10), dataset=str(tmp_path / "faces"))
    report = evaluate_model(stub, n=10, log=lambda s: None)
    assert isinstance(report, UnavailableReport) and "folder" in report.reason and "faces" in report.reason
    assert format_report(report).startswith("Quality metrics unavailable")
    assert stub.calls == 0  # nothing generated for nothing
    assert isinstance(evaluate_generator_images(np.zeros((4, 3, 64, 64)), "my-photos"), UnavailableReport)
    unknown = StubBackend(np.zeros((10, 1, 28, 28), np.uint8), np.arange(10), dataset="")
    assert "dataset" in evaluate_model(unknown, n=10, log=lambda s: None).reason


def test_missing_classifier_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(metrics.MODELS_ENV_VAR, str(tmp_path))
    stub = StubBackend(np.zeros((10, 1, 28, 28), np.uint8), np.arange(10))
    report = evaluate_model(stub, n=10, log=lambda s: None)
    assert isinstance(report, UnavailableReport) and "train_classifier" in report.reason
    with pytest.raises(MetricsError, match="missing"):
        metrics.FeatureExtractor("fashion-mnist")


@needs_mnist
def test_bad_inputs_raise_metrics_error(real_mnist) -> None:
    stub = StubBackend(real_mnist.images, real_mnist.labels)
    with pytest.raises(MetricsError):
        evaluate_model(stub, n=1, data_dir=SHARED_MNIST, log=lambda s: None)
    with pytest.raises(MetricsError):
        evaluate_generator_images(np.full((8, 1, 28, 28), np.nan, np.float32), "mnist", data_dir=SHARED_MNIST)


def test_importing_metrics_does_not_import_torch_or_qt() -> None:
    code = (
        "import sys, ganstudio.core.metrics; "
        "bad = [m for m in ('torch', 'PySide6', 'scipy') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(
    not (FASHION / "t10k-images-idx3-ubyte.gz").is_file() or not metrics.classifier_path("fashion-mnist").is_file(),
    reason="needs the Fashion-MNIST test split and the shipped classifier",
)
def test_fashion_classifier_and_floor() -> None:
    ref = get_reference("fashion-mnist", data_dir=FASHION)
    assert ref.split == "test" and ref.n == 10_000
    accuracy = float((ref.probs.argmax(1) == ref.labels).mean())  # the test split was never trained on
    assert accuracy >= 0.90
    assert get_extractor("fashion-mnist").held_out_accuracy == pytest.approx(accuracy, abs=1e-3)
    assert 0 < ref.floor(2000) < 5
