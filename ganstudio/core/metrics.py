"""Quality metrics for generators of MNIST-like images: FID, class coverage, class KL, confidence, IS.

Everything is measured through a small CNN classifier trained on the real dataset and shipped as
`models/<dataset>-classifier.onnx` (made by `python -m ganstudio.recipes.train_classifier`). Its 256 penultimate
activations play the role Inception-v3's pool features play in the usual FID; its softmax gives the class
statistics. This module needs only numpy and onnxruntime (no torch, no Qt), so `ganstudio evaluate` and the GUI's
live metrics run without PyTorch.

Reading the numbers
-------------------
* FID is only meaningful next to the real-vs-real floor at the SAME sample size: FID is biased upwards by
  roughly const * (1/n1 + 1/n2), so a perfect generator does not score 0. The reference data is split into two
  disjoint seeded halves A and B; the generated sample (n images) is compared with m = min(n, N/2) images of A,
  and the floor is FID(B, A) with m images each. Both are averaged over FLOOR_SPLITS seeded splits (a single
  split's floor moves by ~30% with the seed). `fid_ratio = fid / fid_floor` is then ~1 for a generator whose
  samples are as good as real ones, whatever n is (n > N/2 makes the ratio slightly favourable; `floor_n` says).
* Reference data: train on the train split, measure on data the model never saw. When the data folder holds both
  splits, FID is measured against the held-out 10,000-image TEST split and the floor is a same-sized subset of
  the TRAIN split against that test split (averaged over FLOOR_SPLITS seeded subsets). When only one split is
  found, training used it too, so the reference is the training data and the floor two seeded halves of it; the
  report says which (`reference.held_out`). The MNIST classifier was trained on 8,000 of the test digits; FID only
  compares feature distributions, so that does not bias it.
* SWD (core/swd.py) is reported beside FID: the multi-scale sliced Wasserstein distance of Laplacian-pyramid
  patches, with its floor drawn the same way. It needs no classifier, so it is THE metric for an image folder
  (`SwdReport`, floor = two seeded halves of the folder).
* kl_class = KL(generated class histogram || real class histogram), both as read by the classifier. This
  direction stays finite and insensitive to the epsilon (the real histogram has every class at ~10%): total
  collapse onto one class gives ~log(10) = 2.30, a perfect class balance ~0. The reverse direction would blow up
  to a size set by the epsilon as soon as one class is missing, which makes values hard to compare.
* classes_covered counts classes receiving >= 5% of the samples' argmax predictions (half the uniform share).
* inception_score = exp(E_x[KL(p(y|x) || p(y))]) with the same classifier: at most 10; real data scores near it.
* Image folders get SWD only: the features of a digit classifier say nothing about arbitrary photographs, and an
  FID computed with them would look authoritative while meaning nothing.

Where things are
----------------
quality_math (FID, KL, IS on arrays), feature_extractor (the classifier and its input preparation),
real_reference (the real data's features, halves and floors), quality_report (the report types and their text);
this module puts them together and re-exports the names its callers use.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ganstudio.core.data import builtin_dataset
from ganstudio.core.feature_extractor import (
    CLASSIFIER_SIZE,
    FEATURE_DIM,
    FeatureExtractor,
    classifier_path,
    clear_extractors,
    get_extractor,
    missing_classifier_reason,
    prepare_images,
)
from ganstudio.core.quality_math import (
    COVERAGE_THRESHOLD,
    MetricsError,
    class_histogram,
    feature_stats,
    frechet_distance,
    held_out_split,
    inception_score,
    kl_divergence,
)
from ganstudio.core.quality_report import (
    QualityReport,
    QualityResult,
    ReferenceInfo,
    SampleScores,
    SwdReport,
    UnavailableReport,
    format_report,
    summary_line,
)
from ganstudio.core.real_reference import FLOOR_SPLITS, REFERENCE_SEED, RealReference, clear_references, get_reference
from ganstudio.core.swd_metrics import clear_folder_references, evaluate_folder_images
from ganstudio.paths import MODELS_ENV_VAR

__all__ = [
    "CLASSIFIER_SIZE",
    "COVERAGE_THRESHOLD",
    "FEATURE_DIM",
    "FLOOR_SPLITS",
    "MODELS_ENV_VAR",
    "REFERENCE_SEED",
    "FeatureExtractor",
    "MetricsError",
    "QualityReport",
    "QualityResult",
    "RealReference",
    "ReferenceInfo",
    "SampleScores",
    "SwdReport",
    "UnavailableReport",
    "builtin_dataset",
    "check_available",
    "classifier_path",
    "clear_caches",
    "evaluate_generator_images",
    "evaluate_images",
    "evaluate_model",
    "feature_stats",
    "format_report",
    "frechet_distance",
    "get_extractor",
    "get_reference",
    "held_out_split",
    "prepare_images",
    "summary_line",
]


def _ignore(_: str) -> None:
    pass


def clear_caches() -> None:
    """Forget cached extractors and references (e.g. after retraining a classifier)."""
    clear_extractors()
    clear_references()
    clear_folder_references()


# ---------------------------------------------------------------------------------------------------------------
# what can be measured


def _folder_reason(dataset: str) -> str:
    if not dataset:
        return (
            "the model does not record which dataset it was trained on; pass the dataset to compare with "
            "(mnist, fashion-mnist or the image folder it was trained on)"
        )
    return f"{dataset!r} is not MNIST or Fashion-MNIST, nor a folder of images that exists here"


def _is_folder(dataset: str) -> bool:
    return bool(dataset) and builtin_dataset(dataset) is None and Path(dataset).is_dir()


def check_available(dataset: str, models_path: Path | None = None) -> UnavailableReport | None:
    """Why `dataset` cannot be measured (neither a built-in dataset nor an existing folder, or the dataset's
    classifier file is missing), or None. Cheap: nothing is loaded or evaluated, so a caller can say so before
    generating anything. An image folder is measured with SWD alone.
    """
    if _is_folder(dataset):
        return None
    name = builtin_dataset(dataset)
    if name is None:
        return UnavailableReport(_folder_reason(dataset), dataset)
    path = classifier_path(name, models_path)
    if not path.is_file():
        return UnavailableReport(missing_classifier_reason(name, path), name)
    return None


# ---------------------------------------------------------------------------------------------------------------
# evaluation


def _scores(probs: np.ndarray, fid: float, real_class_hist: np.ndarray) -> SampleScores:
    hist = class_histogram(probs, probs.shape[1])
    return SampleScores(
        n=len(probs),
        fid=fid,
        classes_covered=int((hist >= COVERAGE_THRESHOLD).sum()),
        class_histogram=tuple(float(v) for v in hist),
        kl_class=kl_divergence(hist, real_class_hist),
        mean_confidence=float(probs.max(axis=1).mean()),
        inception_score=inception_score(probs),
    )


def evaluate_images(
    images: np.ndarray,
    extractor: FeatureExtractor,
    real_stats: tuple[np.ndarray, np.ndarray] | RealReference,
    real_class_hist: np.ndarray | None = None,
) -> SampleScores:
    """Score a batch of images (N >= 2, see prepare_images) against real statistics.

    real_stats: (mu, cov) of the real features, or a RealReference (then its full-data stats and class
    histogram are used). No floor here: use evaluate_generator_images for FID next to its floor.
    """
    if isinstance(real_stats, RealReference):
        real_class_hist = real_stats.class_histogram if real_class_hist is None else real_class_hist
        real_stats = real_stats.stats()
    if real_class_hist is None:
        raise MetricsError("evaluate_images needs the real class histogram")
    if len(images) < 2:
        raise MetricsError(f"FID needs at least 2 images, got {len(images)}")
    probs, feats = extractor.run(images)
    fid = frechet_distance(*feature_stats(feats), *real_stats)
    return _scores(probs, fid, np.asarray(real_class_hist, np.float64))


def _check_batch(arr: np.ndarray) -> None:
    if arr.ndim != 4:
        raise MetricsError(f"images must be an (N, C, H, W) array, got shape {arr.shape}")
    if len(arr) < 2:
        raise MetricsError(f"FID needs at least 2 images, got {len(arr)}")
    if arr.shape[2] != arr.shape[3]:
        raise MetricsError(f"images must be square, got {arr.shape[2]}x{arr.shape[3]}")


def evaluate_generator_images(
    images: np.ndarray,
    dataset_name: str,
    labels: np.ndarray | None = None,
    data_dir: Path | str | None = None,
    models_path: Path | None = None,
    log: Callable[[str], None] = _ignore,
) -> QualityResult:
    """Full metrics of generated images against the real dataset, floors and ratios included.

    For the GUI's live metrics (called from a worker thread with a few thousand samples of a generator
    snapshot) and the core of evaluate_model. images: (N, C, H, W) in [0, 1] (or uint8), N >= 2; labels: the
    requested class of each image for a conditional generator, else None. An image folder gets an SwdReport;
    anything else without a shipped classifier an UnavailableReport; raises MetricsError for unusable images.
    """
    start = time.perf_counter()
    if _is_folder(dataset_name):
        return evaluate_folder_images(images, dataset_name, log)
    name = builtin_dataset(dataset_name)
    if name is None:
        return UnavailableReport(_folder_reason(dataset_name), dataset_name)
    try:
        extractor = get_extractor(name, models_path)
    except MetricsError as exc:
        return UnavailableReport(str(exc), name)
    arr = np.asarray(images)
    _check_batch(arr)
    ref = get_reference(name, int(arr.shape[2]), data_dir, extractor, log)
    probs, feats = extractor.run(arr)

    m = ref.floor_size(len(arr))
    scores = _scores(probs, ref.fid(*feature_stats(feats), m), ref.class_histogram)
    floors = ref.floor_values(m)
    floor = float(np.mean(floors))
    per_class = _per_class(np.asarray(labels), probs, feats, ref, extractor.num_classes) if labels is not None else {}
    return QualityReport(
        **vars(scores),
        dataset=name,
        fid_floor=floor,
        fid_floor_std=float(np.std(floors, ddof=1)) if len(floors) > 1 else 0.0,
        floor_n=m,
        floor_splits=len(floors),
        fid_ratio=scores.fid / floor if floor > 0 else None,
        num_classes=extractor.num_classes,
        class_names=tuple(extractor.class_names),
        real_class_histogram=tuple(float(v) for v in ref.class_histogram),
        inception_score_real=ref.inception_score(m),
        classifier=extractor.path.name,
        classifier_accuracy=extractor.held_out_accuracy,
        reference=ReferenceInfo(ref.split, ref.n, ref.source, ref.image_size, ref.seed, ref.held_out),
        swd=ref.swd_reference(m, int(arr.shape[1])).score(arr),
        **per_class,
        seconds=round(time.perf_counter() - start, 3),
    )


def _per_class(
    labels: np.ndarray, probs: np.ndarray, feats: np.ndarray, ref: RealReference, num_classes: int
) -> dict[str, Any]:
    """Conditional accuracy, and per class FID against real images of that class next to its own floor."""
    if labels.shape != (len(probs),):
        raise MetricsError(f"labels must have shape ({len(probs)},), got {labels.shape}")
    if labels.min() < 0 or labels.max() >= num_classes:
        return {
            "conditional_note": f"labels outside the classifier's classes 0..{num_classes - 1}; "
            "conditional accuracy not measured"
        }
    pred = probs.argmax(axis=1)
    accuracy: list[float | None] = []
    fids: list[float | None] = []
    floors: list[float | None] = []
    for c in range(num_classes):
        mine = labels == c
        count = int(mine.sum())
        accuracy.append(float((pred[mine] == c).mean()) if count else None)
        m = ref.class_floor_size(c, count)
        if m < 2:
            fids.append(None)
            floors.append(None)
            continue
        fids.append(ref.class_fid(*feature_stats(feats[mine]), c, m))
        floors.append(ref.class_floor(c, m))
    return {
        "conditional_accuracy": float((pred == labels).mean()),
        "per_class_accuracy": tuple(accuracy),
        "per_class_fid": tuple(fids),
        "per_class_fid_floor": tuple(floors),
    }


def _check_model(info: Any, n: int, batch_size: int) -> None:
    if n < 2:
        raise MetricsError(f"evaluation needs at least 2 samples, got n={n}")
    if batch_size < 1:
        raise MetricsError(f"batch_size must be >= 1, got {batch_size}")
    if info.channels not in (1, 3):
        raise MetricsError(f"the model makes {info.channels}-channel images; metrics take 1 or 3 channels")


def evaluate_model(
    backend: Any,
    n: int = 5000,
    seed: int = 0,
    dataset: str | None = None,
    data_dir: Path | str | None = None,
    log: Callable[[str], None] = print,
    batch_size: int = 250,
    models_path: Path | None = None,
) -> QualityResult:
    """Generate n samples from a GeneratorBackend and measure them against the real dataset.

    Latents come from `sample_latents(n, latent_dim, seed)`; a conditional model gets labels spread evenly over
    its classes (n/K each, in seeded random order). The report carries `seed` and `model` besides the numbers
    (per-class fields stay None for unconditional models). Datasets without a shipped classifier give an
    UnavailableReport before anything is generated. Raises MetricsError for unusable inputs.
    """
    from ganstudio.runtime.latent import sample_latents

    start = time.perf_counter()
    info = backend.info
    name_given = dataset if dataset else (info.dataset or "")
    missing = check_available(name_given, models_path)
    if missing is not None:
        return missing
    name = builtin_dataset(name_given) or name_given
    _check_model(info, n, batch_size)

    z = sample_latents(n, info.latent_dim, seed)
    labels = None
    if info.num_classes:
        labels = np.random.default_rng(seed).permutation(np.arange(n) % info.num_classes).astype(np.int64)
    log(f"generating {n:,} samples (seed {seed})")
    parts = [
        np.asarray(backend.generate(z[i : i + batch_size], None if labels is None else labels[i : i + batch_size]))
        for i in range(0, n, batch_size)
    ]
    images = np.concatenate(parts)
    expected = (n, info.channels, info.image_size, info.image_size)
    if images.shape != expected:
        raise MetricsError(f"the generator returned images of shape {images.shape}, expected {expected}")

    log(f"measuring against real {name} images")
    report = evaluate_generator_images(images, name, labels=labels, data_dir=data_dir, models_path=models_path, log=log)
    if isinstance(report, UnavailableReport):
        return report
    if isinstance(report, SwdReport):
        return replace(report, seed=seed, model=info.source, seconds=round(time.perf_counter() - start, 3))
    note = report.conditional_note
    if labels is not None and info.num_classes != report.num_classes:
        note = f"the model has {info.num_classes} classes, the {name} classifier {report.num_classes}"
    return replace(
        report,
        conditional_note=note,
        reference_note=_reference_note(info, report.reference),
        seed=seed,
        model=info.source,
        seconds=round(time.perf_counter() - start, 3),
    )


def _reference_note(info: Any, reference: ReferenceInfo) -> str | None:
    """Says so when the model records that it was trained on the very split the report calls held out."""
    trained_on = info.summary.get("dataset_split") if isinstance(getattr(info, "summary", None), dict) else None
    if reference.held_out and trained_on == reference.split:
        return (
            f"this model was trained on the {trained_on} split, so that split is not held out for it: "
            "its FID rewards memorising those images"
        )
    return None
