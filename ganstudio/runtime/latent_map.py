"""The latent map: a 2-D picture of where a generator's samples live (torch-free; scikit-learn's t-SNE).

MAP_SAMPLES latents are rendered, described by the shipped classifier's penultimate features (what a digit looks
like, not where its pixels are), reduced to 50 dimensions by PCA and embedded in 2-D by t-SNE
(docs/decisions/latent-map.md says why). t-SNE cannot place new points, so a new latent (the current sample, a
keyframe, the interpolation path) is placed by its k nearest map samples in feature space, weighted by inverse
distance. Maps are cached per model file (SHA-256) in the user cache folder.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganstudio.errors import GanStudioError
from ganstudio.paths import user_cache_root
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.digit_classifier import classifier_for
from ganstudio.runtime.latent import sample_latents
from ganstudio.runtime.model_info import ModelInfo

MAP_SAMPLES = 1500
MAP_SEED = 0
PCA_DIMS = 50
TSNE_ITERATIONS = 500  # 250 of early exaggeration + 250 to settle; sklearn's default 1000 changes little here
PLACE_NEIGHBOURS = 8
CACHE_VERSION = 1
_BATCH = 500

Features = Callable[[np.ndarray], tuple[np.ndarray | None, np.ndarray]]  # images -> (class probs or None, features)


class LatentMapCancelled(GanStudioError):
    """A newer model replaced the one whose map was being computed."""


@dataclass(frozen=True)
class LatentMap:
    z: np.ndarray  # (N, latent_dim) float32
    labels: np.ndarray | None  # (N,) the generator's classes (conditional models)
    classes: np.ndarray  # (N,) the class the classifier reads (-1: no classifier)
    features: np.ndarray  # (N, F) float32 the embedding was computed from
    points: np.ndarray  # (N, 2) float32 map coordinates
    thumbnails: np.ndarray  # (N, C, H, W) uint8, for hover previews
    method: str  # e.g. "t-SNE of PCA-50 of classifier features"
    seconds: float  # time to compute (render + features + embedding)

    def __len__(self) -> int:
        return len(self.points)

    def place_features(self, features: np.ndarray) -> np.ndarray:
        """(M, F) features -> (M, 2) map positions: inverse-distance mean of the nearest map samples."""
        f = np.asarray(features, np.float32)
        d2 = (f * f).sum(1, keepdims=True) - 2.0 * f @ self.features.T + (self.features**2).sum(1)[None]
        k = min(PLACE_NEIGHBOURS, len(self.points))
        idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
        dist = np.sqrt(np.maximum(np.take_along_axis(d2, idx, axis=1), 0.0))
        weights = 1.0 / (dist + 1e-6)
        weights /= weights.sum(axis=1, keepdims=True)
        return (weights[..., None] * self.points[idx]).sum(axis=1).astype(np.float32)


def classifier_features(info: ModelInfo) -> Features | None:
    """The shipped classifier that reads this model's images as a Features function; None when there is none
    (image folders, another size or colour)."""
    classifier = classifier_for(info)
    return None if classifier is None else classifier.run


def pixel_features(images: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """Without a classifier: the pixels themselves (no classes)."""
    return None, np.asarray(images, np.float32).reshape(len(images), -1)


def embed_2d(features: np.ndarray, seed: int = MAP_SEED) -> np.ndarray:
    """(N, F) -> (N, 2): PCA to PCA_DIMS (denoises and speeds t-SNE up), then t-SNE."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    n = len(features)
    dims = min(PCA_DIMS, features.shape[1], n - 1)
    reduced = PCA(n_components=dims, random_state=seed).fit_transform(features.astype(np.float64))
    tsne = TSNE(
        n_components=2, perplexity=min(30.0, (n - 1) / 3), init="pca", max_iter=500, random_state=seed, n_jobs=1
    )
    return np.asarray(tsne.fit_transform(reduced), np.float32)


def compute_latent_map(
    backend: GeneratorBackend,
    features: Features,
    n: int | None = None,
    seed: int = MAP_SEED,
    cancel: Callable[[], bool] | None = None,
    embed: Callable[[np.ndarray, int], np.ndarray] | None = None,
) -> LatentMap:
    """Render n (default MAP_SAMPLES) latents of `seed`, describe them with `features`, embed them in 2-D
    (`embed`, default embed_2d: PCA then t-SNE)."""
    n = MAP_SAMPLES if n is None else n
    started = time.perf_counter()
    info = backend.info
    z = sample_latents(n, info.latent_dim, seed, 1.0)
    labels = (np.arange(n) % info.num_classes).astype(np.int64) if info.conditional else None
    images, feats, probs = [], [], []
    for i in range(0, n, _BATCH):
        if cancel is not None and cancel():
            raise LatentMapCancelled("latent map cancelled")
        batch = backend.generate(z[i : i + _BATCH], None if labels is None else labels[i : i + _BATCH])
        p, f = features(batch)
        images.append(batch)
        feats.append(f)
        if p is not None:
            probs.append(p)
    all_images = np.concatenate(images)
    all_feats = np.concatenate(feats).astype(np.float32)
    classes = np.concatenate(probs).argmax(axis=1) if probs else np.full(n, -1)
    if cancel is not None and cancel():
        raise LatentMapCancelled("latent map cancelled")
    points = (embed or embed_2d)(all_feats, seed)
    thumbs = (np.clip(all_images, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    method = "t-SNE of PCA-50 of " + ("classifier features" if probs else "pixels")
    return LatentMap(
        z, labels, classes.astype(np.int64), all_feats, points, thumbs, method, time.perf_counter() - started
    )


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_path(model_sha256: str, root: Path | None = None) -> Path:
    name = f"{model_sha256}-v{CACHE_VERSION}-{MAP_SAMPLES}-{TSNE_ITERATIONS}.npz"
    return (root or user_cache_root()) / "latent-maps" / name


def save_map(path: Path, latent_map: LatentMap) -> None:
    from ganstudio.runtime.imaging import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: v for k, v in latent_map.__dict__.items() if isinstance(v, np.ndarray)}
    meta = np.array([latent_map.method, repr(latent_map.seconds)])

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, meta=meta, **arrays)  # type: ignore[arg-type]

    atomic_write(path, write)


def load_map(path: Path) -> LatentMap | None:
    """A cached map, or None when there is none (or it is unreadable: it is then recomputed)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            method, seconds = (str(s) for s in data["meta"])
            labels = data["labels"] if "labels" in data.files else None
            return LatentMap(
                data["z"],
                labels,
                data["classes"],
                data["features"],
                data["points"],
                data["thumbnails"],
                method,
                float(seconds),
            )
    except (OSError, KeyError, ValueError):
        return None


def latent_map_for(
    backend: GeneratorBackend,
    model_path: Path | str | None,
    features: Features | None = None,
    cache_root: Path | None = None,
    cancel: Callable[[], bool] | None = None,
) -> LatentMap:
    """The model's map from the cache (by file hash) or computed and cached; live models are never cached."""
    path = Path(model_path) if model_path else None
    key = file_sha256(path) if path is not None and path.is_file() else None
    if key is not None:
        cached = load_map(cache_path(key, cache_root))
        if cached is not None:
            return cached
    chosen = features or classifier_features(backend.info) or pixel_features
    latent_map = compute_latent_map(backend, chosen, cancel=cancel)
    if key is not None:
        save_map(cache_path(key, cache_root), latent_map)
    return latent_map
