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
* Reference data: the 10,000-image TEST split of MNIST / Fashion-MNIST (the shared MNIST folder holds only that
  split; using the same split for both keeps the numbers comparable). When a folder has only the train split,
  that is used instead and the report says so. The MNIST classifier was trained on 8,000 of these 10,000 digits;
  FID only compares feature distributions, so that does not bias it.
* kl_class = KL(generated class histogram || real class histogram), both as read by the classifier. This
  direction stays finite and insensitive to the epsilon (the real histogram has every class at ~10%): total
  collapse onto one class gives ~log(10) = 2.30, a perfect class balance ~0. The reverse direction would blow up
  to a size set by the epsilon as soon as one class is missing, which makes values hard to compare.
* classes_covered counts classes receiving >= 5% of the samples' argmax predictions (half the uniform share).
* inception_score = exp(E_x[KL(p(y|x) || p(y))]) with the same classifier: at most 10; real data scores near it.
* Datasets without a shipped classifier (a user's image folder) get `{"available": False, "reason": ...}`
  instead of numbers: the features of a digit classifier say nothing about arbitrary photographs, and a
  number computed with them would look authoritative while meaning nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganstudio.errors import GanStudioError

__all__ = [
    "CLASSIFIER_SIZE",
    "COVERAGE_THRESHOLD",
    "FEATURE_DIM",
    "MODELS_ENV_VAR",
    "FeatureExtractor",
    "MetricsError",
    "RealReference",
    "classifier_path",
    "evaluate_generator_images",
    "evaluate_images",
    "evaluate_model",
    "feature_stats",
    "format_report",
    "frechet_distance",
    "get_extractor",
    "get_reference",
    "held_out_split",
    "models_dir",
    "prepare_images",
    "unavailable",
]

FEATURE_DIM = 256  # width of the classifier's penultimate layer (the FID feature space)
CLASSIFIER_SIZE = 28  # the classifier's input is 1 x 28 x 28
COVERAGE_THRESHOLD = 0.05  # a class is "covered" when it gets at least this fraction of the samples
MODELS_ENV_VAR = "GANSTUDIO_MODELS"
KL_EPS = 1e-6
REFERENCE_SEED = 0  # seeds the A/B splits of the real data: fixed so floors are comparable between runs
FLOOR_SPLITS = 5  # real-data A/B splits that FIDs and floors are averaged over
_BATCH = 500


class MetricsError(GanStudioError):
    """The inputs cannot be evaluated (wrong shape, wrong range, too few samples, ...); the message says why."""


def _ignore(_: str) -> None:
    pass


# ---------------------------------------------------------------------------------------------------------------
# numpy maths


def held_out_split(n: int, n_held_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices), both sorted: held-out = the first n_held_out of a seeded permutation.

    `np.random.default_rng(seed).permutation(n)`; the MNIST classifier uses n=10,000, n_held_out=2,000, seed=0.
    """
    if not 0 < n_held_out < n:
        raise ValueError(f"cannot hold out {n_held_out} of {n} items")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_held_out:]), np.sort(perm[:n_held_out])


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) (unbiased, ddof=1) in float64 of (N, D) features, N >= 2."""
    feats = np.asarray(features, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[0] < 2:
        raise MetricsError(f"feature statistics need (N, D) features with N >= 2, got shape {feats.shape}")
    if not np.isfinite(feats).all():
        raise MetricsError("features contain NaN or infinite values")
    mu = feats.mean(axis=0)
    centred = feats - mu
    cov = centred.T @ centred / (len(feats) - 1)
    return mu, cov


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a (numerically) positive semi-definite matrix; tiny negative eigenvalues -> 0."""
    sym = (matrix + matrix.T) * 0.5
    w, v = np.linalg.eigh(sym)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Frechet distance between N(mu1, cov1) and N(mu2, cov2):

        |mu1 - mu2|^2 + tr(C1) + tr(C2) - 2 tr(sqrt(C1 C2))

    C1 C2 is not symmetric, but it is similar to S C2 S with S = sqrt(C1) (symmetric PSD), so
    tr(sqrt(C1 C2)) = sum_i sqrt(eig_i(S C2 S)); both steps use `eigh` on symmetric matrices, which stays
    stable for singular covariances (fewer samples than dimensions), where scipy.linalg.sqrtm needs an
    epsilon-on-the-diagonal retry. Eigenvalues below zero from round-off are clipped. Result >= 0.
    """
    mu1, mu2 = np.asarray(mu1, np.float64).ravel(), np.asarray(mu2, np.float64).ravel()
    cov1, cov2 = np.atleast_2d(np.asarray(cov1, np.float64)), np.atleast_2d(np.asarray(cov2, np.float64))
    d = mu1.shape[0]
    if mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise MetricsError(f"mismatched statistics: mu {mu1.shape} / {mu2.shape}, cov {cov1.shape} / {cov2.shape}")
    if not all(np.isfinite(a).all() for a in (mu1, mu2, cov1, cov2)):
        raise MetricsError("statistics contain NaN or infinite values")
    s1 = _sqrt_psd(cov1)
    product = s1 @ cov2 @ s1
    eig = np.linalg.eigvalsh((product + product.T) * 0.5)
    tr_sqrt = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    diff = mu1 - mu2
    value = float(diff @ diff) + float(np.trace(cov1)) + float(np.trace(cov2)) - 2.0 * tr_sqrt
    return max(value, 0.0)


def _softmax(logits: np.ndarray) -> np.ndarray:
    x = np.asarray(logits, np.float64)
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def _class_histogram(probs: np.ndarray, num_classes: int) -> np.ndarray:
    counts = np.bincount(np.argmax(probs, axis=1), minlength=num_classes)[:num_classes]
    return counts / max(len(probs), 1)


def _kl(p: np.ndarray, q: np.ndarray, eps: float = KL_EPS) -> float:
    """KL(p || q) for histograms; eps keeps empty bins finite, then both are renormalised."""
    p = np.asarray(p, np.float64) + eps
    q = np.asarray(q, np.float64) + eps
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum(p * np.log(p / q)))


def _inception_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    p = np.asarray(probs, np.float64)
    p_y = p.mean(axis=0, keepdims=True)
    kl = np.sum(p * (np.log(p + eps) - np.log(p_y + eps)), axis=1)
    return float(np.exp(kl.mean()))


def _area_matrix(src: int, dst: int) -> np.ndarray:
    """(dst, src) weights of area (box) resampling: output pixel i averages input [i*src/dst, (i+1)*src/dst)."""
    scale = src / dst
    lo = np.arange(dst)[:, None] * scale
    hi = lo + scale
    j = np.arange(src)[None, :]
    overlap = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0.0, None)
    return (overlap / overlap.sum(axis=1, keepdims=True)).astype(np.float32)


def prepare_images(images: np.ndarray) -> np.ndarray:
    """Any (N, C, H, W) batch -> float32 (N, 1, 28, 28) in [0, 1], what the classifier takes.

    uint8 is read as 0..255; floats must be in [0, 1] (a generator's tanh output in [-1, 1] is refused with a
    hint). 3 channels become luminance (ITU-R 601 weights, as the data layer uses); other sizes are resized to
    28x28 by area averaging (exact box filter: 56 -> 28 averages 2x2 blocks; 32/64 -> 28 blends neighbours).
    """
    arr = np.asarray(images)
    if arr.ndim == 3:  # (N, H, W): grey without a channel axis
        arr = arr[:, None]
    if arr.ndim != 4 or arr.shape[0] < 1:
        raise MetricsError(f"images must be an (N, C, H, W) array with N >= 1, got shape {arr.shape}")
    if arr.shape[1] not in (1, 3):
        raise MetricsError(f"images must have 1 or 3 channels, got {arr.shape[1]} (shape {arr.shape})")
    if arr.shape[2] < 4 or arr.shape[3] < 4:
        raise MetricsError(f"images of {arr.shape[2]}x{arr.shape[3]} pixels are too small to evaluate")
    if arr.dtype == np.uint8:
        x = arr.astype(np.float32) / np.float32(255.0)
    elif arr.dtype.kind in "fiu":
        x = arr.astype(np.float32, copy=False)
        if not np.isfinite(x).all():
            raise MetricsError("images contain NaN or infinite values (did training diverge?)")
        lo, hi = float(x.min()), float(x.max())
        if lo < -0.01 or hi > 1.01:
            raise MetricsError(
                f"float images must be in [0, 1], these span [{lo:.3g}, {hi:.3g}]"
                + ("; convert tanh output with (x + 1) / 2" if lo < -0.01 and hi <= 1.01 else "")
            )
        x = np.clip(x, 0.0, 1.0)
    else:
        raise MetricsError(f"images must be uint8 or float, got {arr.dtype}")
    if x.shape[1] == 3:
        weights = np.array([0.299, 0.587, 0.114], np.float32).reshape(1, 3, 1, 1)
        x = (x * weights).sum(axis=1, keepdims=True)
    h, w = x.shape[2:]
    if (h, w) != (CLASSIFIER_SIZE, CLASSIFIER_SIZE):
        rows, cols = _area_matrix(h, CLASSIFIER_SIZE), _area_matrix(w, CLASSIFIER_SIZE)
        x = np.einsum("ih,nchw,jw->ncij", rows, x, cols, optimize=True)
    return np.ascontiguousarray(x, dtype=np.float32)


# ---------------------------------------------------------------------------------------------------------------
# the classifier


def models_dir() -> Path:
    """Where shipped classifiers live: $GANSTUDIO_MODELS, else the repository's `models/` folder."""
    env = os.environ.get(MODELS_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    import ganstudio

    return Path(ganstudio.__file__).resolve().parent.parent / "models"


def _canonical(name: str) -> str | None:
    """ "mnist" / "fashion-mnist" for the built-in datasets (any accepted spelling), None for anything else."""
    from ganstudio.core.data.download import canonical_name, is_named_dataset

    if not name or "/" in name or "\\" in name or not is_named_dataset(name):
        return None
    return canonical_name(name)


def classifier_path(dataset: str, directory: Path | None = None) -> Path:
    name = _canonical(dataset) or dataset
    return Path(directory if directory is not None else models_dir()) / f"{name}-classifier.onnx"


class FeatureExtractor:
    """The shipped classifier of a dataset, run by onnxruntime: images -> (class probabilities, features).

    Thread-safe (onnxruntime sessions may run concurrently); small thread pools that sleep when idle so a
    concurrent training run keeps its cores.
    """

    def __init__(
        self, dataset_name: str, models_path: Path | None = None, threads: int = 2, batch_size: int = _BATCH
    ) -> None:
        import onnxruntime as ort

        name = _canonical(dataset_name)
        if name is None:
            raise MetricsError(
                f"no classifier for {dataset_name!r}: GAN Studio ships classifiers for MNIST and Fashion-MNIST only"
            )
        self.dataset = name
        self.path = classifier_path(name, models_path)
        if not self.path.is_file():
            raise MetricsError(
                f"the {name} classifier {self.path} is missing; create it with "
                f"`python -m ganstudio.recipes.train_classifier {name}` or point "
                f"{MODELS_ENV_VAR} at the folder holding it"
            )
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(0, threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's own exception types
            raise MetricsError(f"cannot load the classifier {self.path}: {str(exc).splitlines()[0]}") from exc
        outputs = [o.name for o in self._session.get_outputs()]
        if [i.name for i in self._session.get_inputs()] != ["image"] or set(outputs) != {"logits", "features"}:
            raise MetricsError(f"{self.path} is not a GAN Studio classifier (inputs image -> logits, features)")
        meta = dict(self._session.get_modelmeta().custom_metadata_map)
        self.metadata = meta
        try:
            self.class_names: tuple[str, ...] = tuple(json.loads(meta.get("class_names", "[]")))
        except json.JSONDecodeError:
            self.class_names = ()
        self.num_classes = int(self._session.get_outputs()[outputs.index("logits")].shape[1] or 10)
        if len(self.class_names) != self.num_classes:
            self.class_names = tuple(str(i) for i in range(self.num_classes))
        try:
            self.held_out_accuracy: float | None = float(meta["held_out_accuracy"])
        except (KeyError, ValueError):
            self.held_out_accuracy = None
        self.sha256 = hashlib.sha256(self.path.read_bytes()).hexdigest()

    def run(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, C, H, W) images (see prepare_images) -> probs (N, 10) float64, features (N, 256) float32."""
        x = prepare_images(images)
        probs, feats = [], []
        for i in range(0, len(x), self.batch_size):
            logits, features = self._session.run(["logits", "features"], {"image": x[i : i + self.batch_size]})
            probs.append(_softmax(logits))
            feats.append(features)
        return np.concatenate(probs), np.concatenate(feats).astype(np.float32, copy=False)

    def __repr__(self) -> str:
        return f"FeatureExtractor({self.dataset!r}, path={str(self.path)!r})"


_lock = threading.RLock()  # guards both caches; the GUI evaluates from a worker thread while the CLI may not
_extractors: dict[tuple[str, str], FeatureExtractor] = {}
_references: dict[tuple, RealReference] = {}


def get_extractor(dataset: str, models_path: Path | None = None) -> FeatureExtractor:
    """A cached FeatureExtractor per (dataset, classifier file). Raises MetricsError when there is none."""
    name = _canonical(dataset) or dataset
    key = (name, str(classifier_path(name, models_path).resolve()))
    with _lock:
        if key not in _extractors:
            _extractors[key] = FeatureExtractor(name, models_path)
        return _extractors[key]


# ---------------------------------------------------------------------------------------------------------------
# the real reference


@dataclass(eq=False)
class RealReference:
    """Classifier outputs of the real reference images, with cached statistics of seeded disjoint halves.

    Split k (k = 0 .. FLOOR_SPLITS-1) permutes the data with seed `seed + k`; its half A is the first m images
    and its half B the next m, for any m <= N/2, so sizes always match the generated sample being judged.
    Floors and FIDs are averaged over the splits: one split's floor varies by ~+-30% with the seed.
    """

    dataset: str
    split: str  # "test" normally; "train" when only that split was found
    source: str  # the folder the images came from
    image_size: int  # the size the real images were resized to before the classifier (28 = untouched)
    features: np.ndarray  # (N, 256) float32
    probs: np.ndarray  # (N, 10) float64
    labels: np.ndarray  # (N,) int64 true labels
    class_names: tuple[str, ...]
    seed: int = REFERENCE_SEED
    splits: int = FLOOR_SPLITS
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()  # re-entrant: floor() computes stats() under the lock

    @property
    def n(self) -> int:
        return len(self.features)

    @property
    def num_classes(self) -> int:
        return self.probs.shape[1]

    @property
    def class_histogram(self) -> np.ndarray:
        """Fractions of the real images per predicted class (what generated histograms are compared with)."""
        return self._cached(("hist",), lambda: _class_histogram(self.probs, self.num_classes))

    def half_size(self, n: int) -> int:
        return max(2, min(int(n), self.n // 2))

    def _cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = compute()
            return self._cache[key]

    def _order(self, k: int) -> np.ndarray:
        return self._cached(("order", k), lambda: np.random.default_rng(self.seed + k).permutation(self.n))

    def halves(self, m: int, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint index sets A, B of m real images each (m <= N/2), from split k."""
        if not 2 <= m <= self.n // 2:
            raise MetricsError(f"halves of {m} images need 2 <= m <= {self.n // 2}")
        order = self._order(k)
        return order[:m], order[m : 2 * m]

    def stats(self, m: int | None = None, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(mu, cov) of half A of split k with m images, or of all N images when m is None."""
        if m is None:
            return self._cached(("all",), lambda: feature_stats(self.features))
        return self._cached(("A", m, k), lambda: feature_stats(self.features[self.halves(m, k)[0]]))

    def fid(self, mu: np.ndarray, cov: np.ndarray, m: int) -> float:
        """Mean FID of generated statistics against half A (m images) of every split."""
        return float(np.mean([frechet_distance(mu, cov, *self.stats(m, k)) for k in range(self.splits)]))

    def floor_values(self, m: int) -> tuple[float, ...]:
        """FID(B, A) of every split with m images per half: what a perfect generator scores at n = m."""

        def compute() -> tuple[float, ...]:
            return tuple(
                frechet_distance(*feature_stats(self.features[self.halves(m, k)[1]]), *self.stats(m, k))
                for k in range(self.splits)
            )

        return self._cached(("floor", m), compute)

    def floor(self, m: int) -> float:
        return float(np.mean(self.floor_values(m)))

    def inception_score(self, m: int) -> float:
        return self._cached(("is", m), lambda: _inception_score(self.probs[self.halves(m)[1]]))

    def class_count(self, c: int) -> int:
        return int((self.labels == c).sum())

    def class_halves(self, c: int, m: int, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Disjoint index sets of m real images of true class c each (m <= count(c) / 2), from split k."""
        order = self._order(k)
        members = order[self.labels[order] == c]
        if not 2 <= m <= len(members) // 2:
            raise MetricsError(f"class {c} has {len(members)} reference images; halves of {m} do not fit")
        return members[:m], members[m : 2 * m]

    def class_stats(self, c: int, m: int, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return self._cached(("cA", c, m, k), lambda: feature_stats(self.features[self.class_halves(c, m, k)[0]]))

    def class_fid(self, mu: np.ndarray, cov: np.ndarray, c: int, m: int) -> float:
        return float(np.mean([frechet_distance(mu, cov, *self.class_stats(c, m, k)) for k in range(self.splits)]))

    def class_floor(self, c: int, m: int) -> float:
        def compute() -> float:
            return float(
                np.mean(
                    [
                        frechet_distance(
                            *feature_stats(self.features[self.class_halves(c, m, k)[1]]), *self.class_stats(c, m, k)
                        )
                        for k in range(self.splits)
                    ]
                )
            )

        return self._cached(("cfloor", c, m), compute)


def _load_real(name: str, data_dir: Path | None, log: Callable[[str], None]):  # -> ImageDataset
    """The test split wherever the data layer would look (see the module docstring), else the train split."""
    from ganstudio.core.data import named

    for folder, _origin in named.search_locations(name, data_dir):
        if named.find_pair(name, folder, "test") is not None:
            dataset = named.read_split(name, folder, "test")
            log(f"{name}: reference = the test split ({len(dataset):,} images) from {folder}")
            return dataset, str(folder)
    dataset = named.load_named_dataset(name, data_dir=data_dir, log=log)  # raises DataError with search help
    located = named.locate_dataset(name, data_dir)
    return dataset, str(located[0]) if located else ""


def get_reference(
    dataset: str,
    image_size: int = CLASSIFIER_SIZE,
    data_dir: Path | str | None = None,
    extractor: FeatureExtractor | None = None,
    log: Callable[[str], None] = _ignore,
) -> RealReference:
    """The cached RealReference of a built-in dataset, as seen by a model producing `image_size` images.

    For image_size != 28 the real images first take the path the training data took (bicubic resize to
    image_size, as `load_dataset` does) and then the same area resize back to 28 the generated images take, so
    resampling blur does not count as a generator error. Cached in memory per (dataset, size, data folder,
    classifier); computing one takes a few seconds (10,000 images through the classifier).
    """
    name = _canonical(dataset)
    if name is None:
        raise MetricsError(f"no real reference for {dataset!r}: only MNIST and Fashion-MNIST have one")
    extractor = extractor or get_extractor(name)
    data_path = Path(data_dir) if data_dir is not None else None
    key = (name, int(image_size), str(data_path), os.environ.get("GANSTUDIO_DATA", ""), extractor.sha256)
    with _lock:
        cached = _references.get(key)
        if cached is not None:
            return cached
        start = time.perf_counter()
        real, source = _load_real(name, data_path, log)
        images = real.images
        if image_size != real.image_size:
            from ganstudio.core.data import resize_dataset

            images = resize_dataset(real, image_size).images
        probs, feats = extractor.run(images)
        ref = RealReference(
            name, real.split, source, int(image_size), feats, probs, real.labels.copy(), extractor.class_names
        )
        log(f"{name}: real reference features of {ref.n:,} images in {time.perf_counter() - start:.1f} s")
        _references[key] = ref
        return ref


def clear_caches() -> None:
    """Forget cached extractors and references (e.g. after retraining a classifier)."""
    with _lock:
        _extractors.clear()
        _references.clear()


# ---------------------------------------------------------------------------------------------------------------
# evaluation


def unavailable(reason: str, dataset: str = "") -> dict[str, Any]:
    """The report for something that cannot be measured; `format_report` prints the reason."""
    return {"available": False, "reason": reason, "dataset": dataset}


def _folder_reason(dataset: str) -> str:
    if not dataset:
        return (
            "the model does not record which dataset it was trained on; pass the dataset to compare with "
            "(mnist or fashion-mnist)"
        )
    return (
        f"{dataset!r} is not MNIST or Fashion-MNIST, and these metrics need a classifier trained on the real "
        "images (GAN Studio ships one for those two datasets only). A digit classifier's features say "
        "nothing about arbitrary images, so an FID computed with them would be meaningless"
    )


def _scores(probs: np.ndarray, fid: float, real_class_hist: np.ndarray) -> dict[str, Any]:
    num_classes = probs.shape[1]
    hist = _class_histogram(probs, num_classes)
    return {
        "available": True,
        "n": len(probs),
        "fid": fid,
        "classes_covered": int((hist >= COVERAGE_THRESHOLD).sum()),
        "class_histogram": [float(v) for v in hist],
        "kl_class": _kl(hist, real_class_hist),
        "mean_confidence": float(probs.max(axis=1).mean()),
        "inception_score": _inception_score(probs),
    }


def evaluate_images(
    images: np.ndarray,
    extractor: FeatureExtractor,
    real_stats: tuple[np.ndarray, np.ndarray] | RealReference,
    real_class_hist: np.ndarray | None = None,
) -> dict[str, Any]:
    """Score a batch of images (N >= 2, see prepare_images) against real statistics.

    real_stats: (mu, cov) of the real features, or a RealReference (then its full-data stats and class
    histogram are used). Returns fid, classes_covered, class_histogram, kl_class, mean_confidence,
    inception_score, n. No floor here: use evaluate_generator_images for FID next to its floor.
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


def evaluate_generator_images(
    images: np.ndarray,
    dataset_name: str,
    labels: np.ndarray | None = None,
    data_dir: Path | str | None = None,
    models_path: Path | None = None,
    log: Callable[[str], None] = _ignore,
) -> dict[str, Any]:
    """Full metrics of generated images against the real dataset, floor and ratio included.

    For the GUI's live metrics (called from a worker thread with a few thousand samples of a generator
    snapshot) and the core of evaluate_model. images: (N, C, H, W) in [0, 1] (or uint8), N >= 2; labels: the
    requested class of each image for a conditional generator, else None. Returns the report dict (see
    evaluate_model), or `unavailable(...)` for datasets without a shipped classifier.
    """
    start = time.perf_counter()
    name = _canonical(dataset_name)
    if name is None:
        return unavailable(_folder_reason(dataset_name), dataset_name)
    try:
        extractor = get_extractor(name, models_path)
    except MetricsError as exc:
        return unavailable(str(exc), name)
    arr = np.asarray(images)
    if arr.ndim != 4:
        raise MetricsError(f"images must be an (N, C, H, W) array, got shape {arr.shape}")
    n = len(arr)
    if n < 2:
        raise MetricsError(f"FID needs at least 2 images, got {n}")
    if arr.shape[2] != arr.shape[3]:
        raise MetricsError(f"images must be square, got {arr.shape[2]}x{arr.shape[3]}")
    ref = get_reference(name, int(arr.shape[2]), data_dir, extractor, log)
    probs, feats = extractor.run(arr)

    m = ref.half_size(n)
    report = _scores(probs, ref.fid(*feature_stats(feats), m), ref.class_histogram)
    floors = ref.floor_values(m)
    floor = float(np.mean(floors))
    report.update(
        {
            "dataset": name,
            "fid_floor": floor,
            "fid_floor_std": float(np.std(floors, ddof=1)) if len(floors) > 1 else 0.0,
            "floor_n": m,
            "floor_splits": len(floors),
            "fid_ratio": report["fid"] / floor if floor > 0 else None,
            "num_classes": extractor.num_classes,
            "class_names": list(extractor.class_names),
            "real_class_histogram": [float(v) for v in ref.class_histogram],
            "inception_score_real": ref.inception_score(m),
            "classifier": extractor.path.name,
            "classifier_accuracy": extractor.held_out_accuracy,
            "reference": {
                "split": ref.split,
                "n": ref.n,
                "source": ref.source,
                "image_size": ref.image_size,
                "seed": ref.seed,
            },
            "conditional_accuracy": None,
            "per_class_accuracy": None,
            "per_class_fid": None,
            "per_class_fid_floor": None,
        }
    )
    if labels is not None:
        report.update(_per_class(np.asarray(labels), probs, feats, ref, extractor.num_classes))
    report["seconds"] = round(time.perf_counter() - start, 3)
    return report


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
    accuracy, fids, floors = [], [], []
    for c in range(num_classes):
        mine = labels == c
        count = int(mine.sum())
        accuracy.append(float((pred[mine] == c).mean()) if count else None)
        m = min(count, ref.class_count(c) // 2)
        if m < 2:
            fids.append(None)
            floors.append(None)
            continue
        fids.append(ref.class_fid(*feature_stats(feats[mine]), c, m))
        floors.append(ref.class_floor(c, m))
    return {
        "conditional_accuracy": float((pred == labels).mean()),
        "per_class_accuracy": accuracy,
        "per_class_fid": fids,
        "per_class_fid_floor": floors,
    }


def evaluate_model(
    backend: Any,
    n: int = 5000,
    seed: int = 0,
    dataset: str | None = None,
    data_dir: Path | str | None = None,
    log: Callable[[str], None] = print,
    batch_size: int = 250,
    models_path: Path | None = None,
) -> dict[str, Any]:
    """Generate n samples from a GeneratorBackend and measure them against the real dataset.

    Latents come from `sample_latents(n, latent_dim, seed)`; a conditional model gets labels spread evenly over
    its classes (n/K each, in seeded random order). Report keys: available, dataset, n, seed, fid, fid_floor,
    fid_floor_std, floor_n, floor_splits, fid_ratio, classes_covered, class_histogram, real_class_histogram,
    kl_class, mean_confidence, inception_score, inception_score_real, conditional_accuracy, per_class_accuracy, per_class_fid,
    per_class_fid_floor (the last four None for unconditional models), classifier, classifier_accuracy,
    reference, model, seconds. JSON-serialisable. Datasets without a shipped classifier give
    `{"available": False, "reason": ..., "dataset": ...}`. Raises MetricsError for unusable inputs.
    """
    from ganstudio.runtime.latent import sample_latents

    start = time.perf_counter()
    info = backend.info
    name_given = dataset if dataset else (info.dataset or "")
    name = _canonical(name_given)
    if name is None:
        return unavailable(_folder_reason(name_given), name_given)
    if not os.path.isfile(classifier_path(name, models_path)):
        return unavailable(
            f"the {name} classifier {classifier_path(name, models_path)} is missing; create it "
            f"with `python -m ganstudio.recipes.train_classifier {name}`",
            name,
        )
    if n < 2:
        raise MetricsError(f"evaluation needs at least 2 samples, got n={n}")
    if batch_size < 1:
        raise MetricsError(f"batch_size must be >= 1, got {batch_size}")
    if info.channels not in (1, 3):
        raise MetricsError(f"the model makes {info.channels}-channel images; metrics take 1 or 3 channels")

    z = sample_latents(n, info.latent_dim, seed)
    labels = None
    if info.num_classes:
        labels = np.random.default_rng(seed).permutation(np.arange(n) % info.num_classes).astype(np.int64)
    log(f"generating {n:,} samples (seed {seed})")
    parts = []
    for i in range(0, n, batch_size):
        parts.append(
            np.asarray(backend.generate(z[i : i + batch_size], None if labels is None else labels[i : i + batch_size]))
        )
    images = np.concatenate(parts)
    expected = (n, info.channels, info.image_size, info.image_size)
    if images.shape != expected:
        raise MetricsError(f"the generator returned images of shape {images.shape}, expected {expected}")

    log(f"measuring against real {name} images")
    report = evaluate_generator_images(images, name, labels=labels, data_dir=data_dir, models_path=models_path, log=log)
    if report.get("available") and labels is not None and info.num_classes != report["num_classes"]:
        report["conditional_note"] = (
            f"the model has {info.num_classes} classes, the {name} classifier {report['num_classes']}"
        )
    report.update({"seed": seed, "model": info.source, "seconds": round(time.perf_counter() - start, 3)})
    return report


# ---------------------------------------------------------------------------------------------------------------
# the report


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def format_report(report: dict[str, Any]) -> str:
    """A readable multi-line table of an evaluate_model / evaluate_generator_images report."""
    if not report.get("available", False):
        what = f" for {report['dataset']}" if report.get("dataset") else ""
        return f"Quality metrics unavailable{what}: {report.get('reason', 'no reason given')}"
    names: Sequence[str] = report.get("class_names") or [str(i) for i in range(len(report["class_histogram"]))]
    k = len(report["class_histogram"])
    acc = report.get("classifier_accuracy")
    ref = report.get("reference", {})
    lines = [
        f"Quality metrics: {report['n']:,} samples vs real {report['dataset']} "
        f"({ref.get('split', '?')} split, {ref.get('n', 0):,} images)",
        f"  classifier        {report.get('classifier', '?')}"
        + (f" (held-out accuracy {acc:.2%})" if acc is not None else ""),
        "",
        f"  FID               {_fmt(report['fid'])}",
        f"  real-vs-real FID  {_fmt(report['fid_floor'])} +- {_fmt(report.get('fid_floor_std'))}  (the floor: "
        f"disjoint real halves of {report['floor_n']:,} images, mean of {report.get('floor_splits', 1)} splits)",
        f"  FID / floor       {_fmt(report['fid_ratio'])}x  (1 = as good as real data)",
        f"  classes covered   {report['classes_covered']} / {k}  (>= {COVERAGE_THRESHOLD:.0%} of samples each)",
        f"  class KL          {_fmt(report['kl_class'], 4)}  (KL(generated || real) of predicted classes; "
        f"collapse onto one class ~ {math.log(k):.2f})",
        f"  mean confidence   {_fmt(report['mean_confidence'], 3)}",
        f"  inception score   {_fmt(report['inception_score'])}  (real data: "
        f"{_fmt(report.get('inception_score_real'))}, max {k})",
    ]
    if report.get("conditional_accuracy") is not None:
        lines.append(
            f"  conditional acc.  {report['conditional_accuracy']:.2%}  "
            "(samples the classifier reads as the requested class)"
        )
    if report.get("conditional_note"):
        lines.append(f"  note: {report['conditional_note']}")

    real_hist = report.get("real_class_histogram") or [None] * k
    per_acc = report.get("per_class_accuracy")
    per_fid = report.get("per_class_fid")
    per_floor = report.get("per_class_fid_floor")
    width = max(5, max(len(s) for s in names))
    header = f"  {'class'.ljust(width)}  generated   real"
    if per_acc is not None:
        header += "  accuracy       FID     floor"
    lines += ["", header]
    for c in range(k):
        share = report["class_histogram"][c]
        row = f"  {names[c].ljust(width)}  {share:8.1%}  {_pct(real_hist[c])}  {'#' * int(round(share * 40))}"
        if per_acc is not None:
            row = (
                f"  {names[c].ljust(width)}  {share:8.1%}  {_pct(real_hist[c])}  {_pct(per_acc[c]):>8}"
                f"  {_fmt(per_fid[c]) if per_fid else '-':>8}  {_fmt(per_floor[c]) if per_floor else '-':>8}"
            )
        lines.append(row.rstrip())

    if report["classes_covered"] < k:
        missing = [names[c] for c in range(k) if report["class_histogram"][c] < COVERAGE_THRESHOLD]
        lines += [
            "",
            f"WARNING: possible mode collapse: only {report['classes_covered']} of {k} classes get "
            f">= {COVERAGE_THRESHOLD:.0%} of the samples (rare or missing: {', '.join(missing)})",
        ]
    if report["n"] < 1000:
        lines += [
            "",
            f"note: with only {report['n']:,} samples FID is noisy and strongly biased; compare it "
            "with the floor at the same n, not with published numbers",
        ]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "     -" if value is None else f"{value:6.1%}"
