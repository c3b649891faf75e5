"""Measuring a training run's generator snapshots: what to measure, and the measurement itself (no Qt).

`evaluate_snapshot(job)` rebuilds the snapshot's generator in torch, generates a fixed, seeded batch of samples
(the same latents every time, so numbers along a run are comparable; a conditional model gets its labels spread
evenly over the classes) and scores them with `metrics.evaluate_generator_images`. The GUI's live metrics run it
on a worker thread; anything else holding a GeneratorSnapshot can call it directly.

It competes with training for the CPU, so it stays small: 2,000 samples in batches of 500, and the process-wide
torch thread count is left as training set it. torch is imported only inside evaluate_snapshot.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganstudio.core import metrics
from ganstudio.core.events import GeneratorSnapshot
from ganstudio.core.quality_report import QualityResult
from ganstudio.core.swd_metrics import folder_reference

SAMPLES = 2000  # generated images per measurement (the floor is computed at the same size)
BATCH_SIZE = 500  # images per generator call
SEED = 0  # latents (and label order) of every measurement: fixed, so numbers along a run are comparable


@dataclass(frozen=True)
class MetricsJob:
    """One generator snapshot to measure, and what to measure it against."""

    snapshot: GeneratorSnapshot
    dataset: str  # the training set spec: "mnist", "fashion-mnist" or a folder (SWD only)
    data_dir: str | None = None  # where the real images are; None = the data layer's usual search
    run: int = 0  # which training run asked (reports of an earlier run are ignored)
    samples: int = SAMPLES
    batch_size: int = BATCH_SIZE
    seed: int = SEED


@dataclass(frozen=True)
class ReferenceJob:
    """Compute the real images' reference statistics ahead of the first measurement (at the start of a run)."""

    dataset: str
    data_dir: str | None = None
    image_size: int = 28
    channels: int = 1
    samples: int = SAMPLES


def prepare_reference(job: ReferenceJob) -> None:
    """Load the real reference into the metrics caches (the first measurement's cost: about ten times a later
    one's: 20,000 real images through the classifier for MNIST, the floor's SWD, or reading an image folder), so it
    is paid while the run starts up rather than at some later moment the user may be dragging a slider. Only
    worth it for datasets that can be measured (see unavailable_report)."""
    if metrics.builtin_dataset(job.dataset) is None:
        reference, _folder = folder_reference(job.dataset, job.samples, job.image_size, job.channels)
        reference.prepare()
        return
    ref = metrics.get_reference(job.dataset, job.image_size, Path(job.data_dir) if job.data_dir else None)
    ref.swd_reference(ref.floor_size(job.samples), job.channels).prepare()


def unavailable_report(dataset: str) -> metrics.UnavailableReport | None:
    """Why `dataset` cannot be measured (e.g. an image folder, or a missing classifier), else None.

    Cheap (no torch, nothing evaluated), so the Train tab can say so as soon as a run starts.
    """
    return metrics.check_available(dataset)


def spread_labels(n: int, num_classes: int, seed: int = SEED) -> np.ndarray:
    """n labels, n/K of each class, in seeded random order (as metrics.evaluate_model does)."""
    return np.random.default_rng(seed).permutation(np.arange(n) % num_classes).astype(np.int64)


def _generate(
    job: MetricsJob, labels: np.ndarray | None, cancel: Callable[[], bool], pause: Callable[[], None]
) -> np.ndarray | None:
    """The job's samples, (N, C, H, W) in [0, 1], or None when cancelled between batches."""
    import torch  # only here: building the GUI must not import torch

    from ganstudio.core.torch_backend import generator_from_snapshot
    from ganstudio.runtime.latent import sample_latents

    backend = generator_from_snapshot(job.snapshot)  # never draws from the training thread's RNG
    z = sample_latents(job.samples, job.snapshot.model_config.latent_dim, job.seed)
    parts = []
    try:
        with torch.inference_mode():
            for i in range(0, job.samples, job.batch_size):
                pause()
                if cancel():
                    return None
                chunk = None if labels is None else labels[i : i + job.batch_size]
                parts.append(backend.generate(z[i : i + job.batch_size], chunk))  # (b, C, H, W) in [0, 1]
    finally:
        backend.close()
    return np.concatenate(parts)


def evaluate_snapshot(
    job: MetricsJob,
    cancel: Callable[[], bool] = lambda: False,
    log: Callable[[str], None] = lambda _text: None,
    pause: Callable[[], None] = lambda: None,
) -> QualityResult | None:
    """Generate `job.samples` images from the snapshot and measure them; None when cancelled. `pause` is called
    between the steps (it may block while the user drags a slider).

    The report carries the snapshot's step, the job's run and the sample count. Raises MetricsError /
    ValueError for snapshots that cannot be measured (e.g. NaN images from a diverged run).
    """
    early = unavailable_report(job.dataset)
    if early is not None:
        return dataclasses.replace(early, step=job.snapshot.step, run=job.run)
    cfg = job.snapshot.model_config
    labels = spread_labels(job.samples, cfg.num_classes, job.seed) if cfg.conditional else None
    images = _generate(job, labels, cancel, pause)
    if images is None:
        return None
    pause()
    if cancel():
        return None
    data_dir = Path(job.data_dir) if job.data_dir else None
    report = metrics.evaluate_generator_images(images, job.dataset, labels=labels, data_dir=data_dir, log=log)
    if isinstance(report, metrics.UnavailableReport):
        return dataclasses.replace(report, step=job.snapshot.step, run=job.run)
    return dataclasses.replace(report, step=job.snapshot.step, run=job.run, samples=job.samples)
