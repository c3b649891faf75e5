"""Finding named directions in a generator's latent space, and measuring what each one does.

* Discovered ("pca"), in the spirit of GANSpace: principal components of the generated images, each regressed
  back into z by least squares, so moving along the direction moves that component of the picture.
* Attributes ("attribute"), as in InterFaceGAN: a linear fit in z of a property measured from the pixels
  (runtime.attributes: ink, slant, width, height). Where the shipped classifier reads the model's images, each
  is re-fitted to change the class as little as it can (see DirectionFinder._keep_classes), and that version
  is kept when it keeps the class more often without losing its hold on the attribute.
* Classes ("class", "toward 8"): a linear fit in z of each class's log-probability under the shipped
  classifier. Class-conditional models have an explicit class, so they get none.

Every direction is reported on held-out seeds (never those it was fitted on): the change of what it measures
from -2 to +2, how often that change is a rise, and how often the class stays the same.
numpy + onnxruntime (through the backend and DigitClassifier); no torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ganstudio.runtime.attributes import ATTRIBUTES, measure
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.digit_classifier import DigitClassifier, softmax
from ganstudio.runtime.direction_set import Direction, DirectionReport, DirectionSet, from_json, to_json, unit
from ganstudio.runtime.latent import sample_latents

ALGORITHM_VERSION = 1  # part of the cache key: a change here recomputes cached sets
REPORT_STEP = 2.0  # reports compare the picture at -2 and +2 along a direction
JACOBIAN_STEP = 0.5  # finite-difference step of the class sensitivity, in latent units
CLASS_KEEP_LAMBDAS = (1e-2, 1e-4)  # ridge of the class-keeping fit, relative to the mean class sensitivity
RELIABLE_RISE = 0.95  # a class-keeping version must still raise its attribute for this share of seeds


@dataclass(frozen=True)
class DiscoverySettings:
    fit_samples: int = 1000  # generated samples the directions are fitted on
    fit_seed: int = 1_000_003  # far from the grid seeds users browse, and from the report's
    report_seeds: int = 64  # held-out samples each direction is measured on
    report_seed: int = 2_000_003
    components: int = 10  # discovered (pca) directions
    jacobian_images: int = 4096  # images spent on the class sensitivity (split over latent_dim + 1 points)
    batch: int = 512


@dataclass(frozen=True)
class _Measured:
    """What a batch of images measures: attributes, class log-probabilities (or None) and PCA scores."""

    attributes: dict[str, np.ndarray]
    log_probs: np.ndarray | None
    scores: np.ndarray


@dataclass(frozen=True)
class _Target:
    """What a direction moves: an attribute by name, a PCA component or a class log-probability by index."""

    kind: str  # "attribute", "pca" or "class"
    key: str | int
    text: str  # for people: "ink", "PC3", "log p(8)"

    def values(self, measured: _Measured) -> np.ndarray:
        if self.kind == "attribute":
            return measured.attributes[str(self.key)]
        if self.kind == "pca":
            return measured.scores[:, int(self.key)]
        assert measured.log_probs is not None  # class directions exist only with a classifier
        return measured.log_probs[:, int(self.key)]


@dataclass(frozen=True)
class _Pca:
    mean: np.ndarray  # (pixels,)
    components: np.ndarray  # (k, pixels), rows unit norm

    def scores(self, images: np.ndarray) -> np.ndarray:
        return (images.reshape(len(images), -1) - self.mean) @ self.components.T


class DirectionFinder:
    """Fits and reports the directions of one generator (and, when it reads its images, its classifier)."""

    def __init__(
        self,
        backend: GeneratorBackend,
        classifier: DigitClassifier | None,
        settings: DiscoverySettings | None = None,
    ) -> None:
        self.backend = backend
        self.info = backend.info
        self.classifier = classifier
        self.settings = settings or DiscoverySettings()

    # -- generating and measuring ---------------------------------------------------------------------------

    def labels(self, n: int, seed: int) -> np.ndarray | None:
        if not self.info.conditional:
            return None
        return np.random.default_rng(seed).integers(0, self.info.num_classes, n).astype(np.int64)

    def generate(self, z: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
        size = self.settings.batch
        parts = [
            self.backend.generate(z[i : i + size], None if labels is None else labels[i : i + size])
            for i in range(0, len(z), size)
        ]
        return np.concatenate(parts).astype(np.float32)

    def log_probs(self, images: np.ndarray) -> np.ndarray | None:
        if self.classifier is None:
            return None
        size = self.settings.batch
        logits = np.concatenate([self.classifier.logits(images[i : i + size]) for i in range(0, len(images), size)])
        return np.log(softmax(logits) + 1e-12)

    def _measure(self, images: np.ndarray, pca: _Pca | None) -> _Measured:
        scores = pca.scores(images) if pca is not None else np.zeros((len(images), 0))
        return _Measured(measure(images), self.log_probs(images), scores)

    # -- fitting --------------------------------------------------------------------------------------------

    def find(self, model_sha256: str, progress: Callable[[str], None] | None = None) -> DirectionSet:
        say = progress or (lambda _text: None)
        s = self.settings
        say("generating samples to fit on")
        z = sample_latents(s.fit_samples, self.info.latent_dim, s.fit_seed)
        images = self.generate(z, self.labels(len(z), s.fit_seed))
        pixels = images.reshape(len(images), -1)
        mean = pixels.mean(axis=0)
        pca = _Pca(mean, top_components(pixels - mean, s.components, s.fit_seed))
        say("fitting directions")
        fitted = self._measure(images, pca)
        targets: list[tuple[str, str, np.ndarray, _Target]] = []  # name, kind, what to fit, what it moves
        for k in range(pca.components.shape[0]):
            targets.append((f"PC{k + 1}", "pca", fitted.scores[:, k], _Target("pca", k, f"PC{k + 1}")))
        for name in ATTRIBUTES:
            targets.append((name, "attribute", fitted.attributes[name], _Target("attribute", name, name)))
        if fitted.log_probs is not None and not self.info.conditional:
            for c in range(fitted.log_probs.shape[1]):
                label = self.info.class_name(c)
                targets.append(
                    (f"toward {label}", "class", fitted.log_probs[:, c], _Target("class", c, f"log p({label})"))
                )
        vectors = fit_directions(z, np.stack([t for _, _, t, _ in targets], axis=1))
        candidates = [
            (name, kind, v, target)
            for (name, kind, _, target), v in zip(targets, vectors, strict=True)
            if v is not None  # a property that never changes (a blank image's slant) has no direction
        ]
        say("measuring each direction on held-out seeds")
        reports = self.report([(v, t) for _, _, v, t in candidates], pca)
        directions = [
            Direction(name, kind, vector, report)  # type: ignore[arg-type]  # kind is one of KINDS
            for (name, kind, vector, _), report in zip(candidates, reports, strict=True)
        ]
        if self.classifier is not None:
            say("making the attribute directions keep the class")
            directions = self._keep_classes(directions, pca)
        # Through JSON and back: a set computed now and the same set read from the cache hold identical floats,
        # so a sample saved with direction offsets renders bit-identically either way.
        return from_json(to_json(DirectionSet(model_sha256, tuple(directions))))

    def local_gradients(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """By finite differences around a few held-out samples: S = E[J^T J] (latent_dim x latent_dim), J the
        Jacobian of the class log-probabilities in z (v^T S v is how fast moving along v changes the class),
        and each attribute's mean gradient in z."""
        s, dim = self.settings, self.info.latent_dim
        m = max(8, s.jacobian_images // (dim + 1))
        base = sample_latents(m, dim, s.report_seed + 1)
        steps = np.concatenate([base, *(base + JACOBIAN_STEP * np.eye(dim, dtype=np.float32)[d] for d in range(dim))])
        labels = self.labels(m, s.report_seed + 1)
        images = self.generate(steps, None if labels is None else np.tile(labels, dim + 1))
        log_probs = self.log_probs(images)
        assert log_probs is not None  # called only with a classifier
        lp = log_probs.reshape(dim + 1, m, -1)
        jacobian = (lp[1:] - lp[:1]) / JACOBIAN_STEP  # (dim, m, classes)
        gradients = {}
        for name, values in measure(images).items():
            per_point = values.reshape(dim + 1, m)
            gradients[name] = ((per_point[1:] - per_point[:1]) / JACOBIAN_STEP).mean(axis=1)
        return np.einsum("dmk,emk->de", jacobian, jacobian) / m, gradients

    def _keep_classes(self, directions: list[Direction], pca: _Pca) -> list[Direction]:
        """Each attribute direction re-fitted to change the class as little as it can, kept where it helps.

        Projecting out the regressed class directions (InterFaceGAN's conditional edit) keeps MNIST's class
        only ~70% of the time: class boundaries in z are curved, so one global direction per class misses most
        of what changes the class locally. Instead the attribute's gradient g (the global fit, or the mean
        local gradient) is weighted by the local class sensitivity S: v = (S + lambda I)^-1 g moves the
        attribute per unit of class change the most. Each candidate is measured on held-out seeds; the one that
        still raises its attribute for 95% of them and keeps the class most often wins
        (docs/decisions/directions.md).
        """
        sensitivity, gradients = self.local_gradients()
        scale = float(np.trace(sensitivity)) / sensitivity.shape[0]
        attributes = [d for d in directions if d.kind == "attribute"]
        if not (math.isfinite(scale) and scale > 0) or not attributes:
            return directions  # the classifier reads the same whatever z does: nothing to keep
        tried: list[tuple[Direction, np.ndarray]] = []
        for d in attributes:
            for g in (d.vector.astype(np.float64), gradients[d.name]):
                if not np.any(g):
                    continue  # the attribute did not change around these samples
                for lam in CLASS_KEEP_LAMBDAS:
                    ridge = sensitivity + lam * scale * np.eye(sensitivity.shape[0])
                    tried.append((d, unit(np.linalg.solve(ridge, g))))
        if not tried:
            return directions
        reports = self.report([(v, _Target("attribute", d.name, d.name)) for d, v in tried], pca)
        best = {d.name: d for d in attributes}
        for (d, v), r in zip(tried, reports, strict=True):
            if _better(r, best[d.name].report):
                best[d.name] = Direction(d.name, d.kind, v, r)
        return [best.get(d.name, d) for d in directions]

    # -- reporting ------------------------------------------------------------------------------------------

    def report(self, directions: list[tuple[np.ndarray, _Target]], pca: _Pca | None) -> list[DirectionReport]:
        """Each (vector, what it measures) moved -2 -> +2 from held-out seeds, all in one generator batch."""
        s = self.settings
        base = sample_latents(s.report_seeds, self.info.latent_dim, s.report_seed)
        labels = self.labels(len(base), s.report_seed)
        steps = [base + sign * REPORT_STEP * v for v, _ in directions for sign in (-1.0, 1.0)]
        every = np.concatenate([base, *steps])
        all_labels = None if labels is None else np.tile(labels, 1 + len(steps))
        measured = self._measure(self.generate(every, all_labels), pca)
        m = len(base)
        classes = None if measured.log_probs is None else measured.log_probs.argmax(axis=1).reshape(-1, m)
        reports = []
        for i, (_, target) in enumerate(directions):
            lo, hi = slice((1 + 2 * i) * m, (2 + 2 * i) * m), slice((2 + 2 * i) * m, (3 + 2 * i) * m)
            values = target.values(measured)
            change = values[hi] - values[lo]
            if classes is None:
                keep = math.nan
            else:
                keep = float(np.mean((classes[1 + 2 * i] == classes[0]) & (classes[2 + 2 * i] == classes[0])))
            reports.append(
                DirectionReport(
                    target.text, float(change.mean() / (2 * REPORT_STEP)), float(np.mean(change > 0)), keep, m
                )
            )
        return reports


def _better(new: DirectionReport, old: DirectionReport | None) -> bool:
    """Does `new` serve better: it raises its attribute reliably and keeps the class more often (a tie goes
    to the one that moves the attribute further)."""
    if old is None:
        return True
    if new.raises_fraction < RELIABLE_RISE:
        return False
    if old.raises_fraction < RELIABLE_RISE or new.class_keep > old.class_keep:
        return True
    return new.class_keep == old.class_keep and abs(new.change_per_unit) > abs(old.change_per_unit)


def fit_directions(z: np.ndarray, targets: np.ndarray) -> list[np.ndarray | None]:
    """For each column of `targets` (N, T), the unit direction in z along which it grows fastest (None when
    it does not depend on z at all): least squares on centred z, through the (latent_dim x latent_dim) normal
    equations, which are small and so fast on any BLAS."""
    zc = np.asarray(z, np.float64) - np.mean(z, axis=0)
    tc = np.asarray(targets, np.float64) - np.mean(targets, axis=0)
    coef = np.linalg.solve(zc.T @ zc, zc.T @ tc)  # (latent_dim, T)
    spread = tc.std(axis=0)
    return [
        unit(coef[:, t]) if spread[t] > 1e-9 and np.abs(coef[:, t]).max() > 1e-12 else None
        for t in range(coef.shape[1])
    ]


def top_components(x: np.ndarray, k: int, seed: int, oversample: int = 10, power: int = 3) -> np.ndarray:
    """(k, P) leading right singular vectors of centred x (N, P), by randomized SVD (Halko et al. 2011): a few
    products with a thin random matrix instead of a full SVD, which costs seconds at N x P = 1000 x 784.
    Signs are fixed so that each component's largest loading is positive (the same model gives the same set)."""
    x = np.asarray(x, np.float32)
    k = min(k, *x.shape)
    probe = np.random.default_rng(seed).standard_normal((x.shape[1], min(k + oversample, *x.shape)))
    basis, _ = np.linalg.qr(x @ probe.astype(np.float32))
    for _ in range(power):
        basis, _ = np.linalg.qr(x @ (x.T @ basis))
    _, _, vt = np.linalg.svd(basis.T @ x, full_matrices=False)
    components = vt[:k].astype(np.float64)
    signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
    return components * signs[:, None]


def check_attribute_direction(
    backend: GeneratorBackend,
    classifier: DigitClassifier | None,
    vector: np.ndarray,
    attribute: str,
    seeds: int = 200,
    first_seed: int = 3_000_003,
) -> DirectionReport:
    """How `vector` moves `attribute` from -2 to +2 on `seeds` fresh samples (the targets' test)."""
    settings = DiscoverySettings(report_seeds=seeds, report_seed=first_seed)
    finder = DirectionFinder(backend, classifier, settings)
    return finder.report([(np.asarray(vector, np.float32), _Target("attribute", attribute, attribute))], None)[0]


def find_directions(
    backend: GeneratorBackend,
    model_sha256: str,
    classifier: DigitClassifier | None,
    settings: DiscoverySettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> DirectionSet:
    return DirectionFinder(backend, classifier, settings).find(model_sha256, progress)
