"""The GAN training loop: a generator of plain events, controllable from another thread between steps.

trainer = Trainer(model_config, train_config, dataset, run_dir)
for event in trainer.run():          # StepMetrics every step, SampleGrid / CheckpointSaved now and then,
    ...                              # TrainingFinished last
trainer.control.pause() / .resume() / .stop()   # from any thread; take effect before the next step
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path

import numpy as np
import torch

from ganstudio.core import accel
from ganstudio.core import checkpoint as ckpt
from ganstudio.core import distributed as dist_
from ganstudio.core.augment import diff_augment
from ganstudio.core.config import ConfigError, ModelConfig, TrainConfig, with_changes
from ganstudio.core.data.dataset import ImageDataset
from ganstudio.core.device import pick_device, set_cpu_threads
from ganstudio.core.events import (
    CheckpointSaved,
    GeneratorSnapshot,
    LogMessage,
    SampleGrid,
    StepMetrics,
    TrainEvent,
    TrainingFinished,
)
from ganstudio.core.folder_cache import image_source
from ganstudio.core.history import LOSS_KEYS, History, first_bad_loss
from ganstudio.core.losses import discriminator_loss, generator_loss, gradient_penalty, real_probability
from ganstudio.core.networks import (
    build_discriminator,
    build_generator,
    init_weights,
    recalibrate_batch_norm,
    update_ema,
)
from ganstudio.core.run_state import CheckpointWriter, WeightsDivergedError

PREVIEW_SAMPLES = 64
# Samples used to re-estimate the EMA generator's batch-norm statistics before a save or export: with fewer than
# ~8k the estimate's own noise costs as much FID as it gains on a converged model (the shipped mnist). Live
# previews use at most 4k and at most 50 ms (DCGAN's G costs ~18x the MLP's): early in training, when the gain is
# large (FID 80 -> 40 at step 400), that is plenty, and it keeps the cost under 2% at one preview every 3 s.
CALIBRATION_SAMPLES = 16384
PREVIEW_CALIBRATION_SAMPLES = 4096
PREVIEW_CALIBRATION_SECONDS = 0.05
CALIBRATION_BATCH = 256
DEVICE_STEPS_PER_READ = 16  # steps whose losses are read back together on an accelerator


class TrainingControl:
    """Thread-safe pause / resume / stop flags, checked by the loop between steps."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused loop so it can see the stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused; returns the seconds spent paused so they can be left out of timing."""
        if self._running.is_set():
            return 0.0
        start = time.perf_counter()
        while not self._running.wait(0.05):
            pass
        return time.perf_counter() - start


def check_compatible(model_config: ModelConfig, dataset: ImageDataset) -> None:
    if dataset.image_size != model_config.image_size or dataset.channels != model_config.channels:
        raise ConfigError(
            f"the data is {dataset.channels}x{dataset.image_size}x{dataset.image_size} but the model expects "
            f"{model_config.channels}x{model_config.image_size}x{model_config.image_size}"
        )
    if model_config.conditional:
        if dataset.num_classes < 2:
            raise ConfigError("a class-conditional model needs labelled data: put each class in its own subfolder")
        if dataset.num_classes != model_config.num_classes:
            raise ConfigError(
                f"the model has {model_config.num_classes} classes but the data has {dataset.num_classes}"
            )


class Trainer:
    def __init__(
        self,
        model_config: ModelConfig,
        train_config: TrainConfig,
        dataset: ImageDataset,
        run_dir: Path | None = None,
        control: TrainingControl | None = None,
    ) -> None:
        check_compatible(model_config, dataset)
        self.model_config = model_config
        self.train_config = train_config
        self.dataset = dataset
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.control = control or TrainingControl()
        set_cpu_threads(train_config.threads)
        self.device = pick_device(train_config.device)
        # --- distributed (core/distributed.py): a no-op in a one-process run
        self.dist = dist_.current()
        if self.dist.enabled:
            self.control = dist_.AgreedStop()  # type: ignore[assignment]
            if len(dataset) < train_config.batch_size * self.dist.world_size:
                raise ConfigError(
                    f"the data has {len(dataset):,} images, fewer than one global batch "
                    f"({train_config.batch_size} x {self.dist.world_size} processes)"
                )
        # ---

        torch.manual_seed(train_config.seed)
        self.generator = build_generator(model_config).to(self.device)
        self.discriminator = build_discriminator(model_config).to(self.device)
        init_weights(self.generator)
        init_weights(self.discriminator)
        self.ema_generator = copy.deepcopy(self.generator).eval() if train_config.ema_decay > 0 else None
        self.opt_g = _adam(self.generator, train_config.g_lr, (train_config.g_beta1, train_config.g_beta2))
        self.opt_d = _adam(self.discriminator, train_config.d_lr, (train_config.d_beta1, train_config.d_beta2))
        # --- the modules the training step calls: G and D behind DDP (distributed) and the speed options; the
        # G step's D pass skips DDP (D's weights get no gradient there) and the WGAN-GP penalty uses plain D
        # (its double backward works neither through torch.compile nor, without static_graph, through DDP).
        speed = (self.device, train_config.mixed_precision, train_config.compile_networks)
        self.g_train = accel.accelerate(dist_.wrap_ddp(self.generator, self.device, self.dist), *speed)
        self.d_train = accel.accelerate(dist_.wrap_ddp(self.discriminator, self.device, self.dist), *speed)
        self.d_for_g = accel.accelerate(self.discriminator, *speed)
        # ---

        self.images = image_source(dataset, self.device)  # (N, C, H, W) uint8
        self.labels = torch.from_numpy(dataset.labels.astype(np.int64)).to(self.device)
        self.data_rng = torch.Generator().manual_seed(train_config.seed + 1)
        self.order = torch.randperm(len(self.images), generator=self.data_rng)
        self.order_on_device: torch.Tensor | None = None  # a copy on the training device, made once per epoch
        self.cursor = 0
        self._rate = 0.0  # images/s, smoothed over read windows
        # On an accelerator every read of a loss waits for all the queued work, so the CPU cannot queue the next
        # step's kernels while the GPU runs this one; the losses of several steps stay on the device and are read
        # together. On an H200 this gained 10-30% at batch 1024 and nothing measurable at batch 64, where
        # launching the kernels, not running them, is the cost (benchmarks/README.md, GPU section).
        self.steps_per_read = 1 if self.device.type == "cpu" else DEVICE_STEPS_PER_READ

        self.step = 0
        self.images_seen = 0
        self.elapsed_seconds = 0.0
        self.history = History()
        self.checkpoints = CheckpointWriter(self.run_dir)  # saving and restoring the run's state
        self._ema_calibration: tuple[int, int] | None = None  # (step, samples) of the last calibration

        preview_rng = torch.Generator().manual_seed(train_config.seed + 2)
        self.preview_z = torch.randn(PREVIEW_SAMPLES, model_config.latent_dim, generator=preview_rng)
        self.preview_labels = (
            torch.arange(PREVIEW_SAMPLES) % model_config.num_classes if model_config.conditional else None
        )

    # ----------------------------------------------------------------------------------------- resuming
    @classmethod
    def from_checkpoint(
        cls,
        path: Path,
        dataset: ImageDataset,
        /,  # positional: `dataset` may also be a TrainConfig override (a moved image folder)
        run_dir: Path | None = None,
        control: TrainingControl | None = None,
        **train_overrides,
    ) -> Trainer:
        """Continue a run with the same step count, optimizer state, RNG, data order and history."""
        data = ckpt.load_checkpoint(path)
        train_config = with_changes(data.train_config, **train_overrides) if train_overrides else data.train_config
        source = ckpt.resolve_checkpoint_path(path)
        trainer = cls(data.model_config, train_config, dataset, run_dir or source.parent, control)
        CheckpointWriter.restore(trainer, data, source)
        return trainer

    # ------------------------------------------------------------------------------------------ the loop
    def run(self, preview_seconds: float | None = None, export_on_finish: bool = True) -> Iterator[TrainEvent]:
        """Train until the budget is spent, stop() is called or the losses diverge; yields plain events."""
        cfg = self.train_config
        yield from self._start_session()
        session_start_progress = self.progress() or 0.0
        session_start_elapsed = self.elapsed_seconds
        last_preview = -math.inf
        self._rate = 0.0
        reason, message = "completed", "training finished: budget reached"
        self.generator.train()
        self.discriminator.train()
        pending: list[torch.Tensor] = []
        window_start = 0.0
        while True:
            if self.control.stopped:
                reason, message = "stopped", f"training stopped at step {self.step}"
                break
            if self._budget_spent():
                break
            self.control.wait_while_paused()
            if self.control.stopped:
                continue
            self._apply_lr_schedule()
            if not pending:
                window_start = time.perf_counter()
            pending.append(self._train_step())
            self.step += 1
            samples_due = self.step % cfg.sample_every == 0
            checkpoint_due = self.run_dir is not None and self.step % cfg.checkpoint_every == 0
            if (
                len(pending) < self.steps_per_read
                and not samples_due
                and not checkpoint_due
                and not self._budget_spent()
                and not self.control.stopped
                and not self.control.paused
            ):
                continue
            bad_losses = yield from self._report(
                pending, time.perf_counter() - window_start, session_start_progress, session_start_elapsed
            )
            pending = []
            if bad_losses is not None:
                reason, message = "diverged", self._divergence_message(bad_losses)
                break
            now = time.perf_counter()
            if samples_due or (preview_seconds is not None and now - last_preview >= preview_seconds):
                yield from self._preview_events(save=samples_due)
                last_preview = now
            diverged = (yield from self._checkpoint_events()) if checkpoint_due and self.dist.is_main else None
            if diverged is not None:
                reason, message = "diverged", diverged
                break
        yield from self._finish(reason, message, export_on_finish)

    def _checkpoint_events(self) -> Generator[TrainEvent, None, str | None]:
        """Save a checkpoint and announce it; the divergence message instead when the weights are not finite."""
        try:
            path = self.save()
        except WeightsDivergedError as exc:
            return str(exc)
        yield CheckpointSaved(self.step, str(path))
        return None

    def _start_session(self) -> Iterator[TrainEvent]:
        cfg = self.train_config
        if self.run_dir is not None and self.dist.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        yield LogMessage(f"training on {self.device.type} ({self._describe_models()})")
        speed_note = accel.describe(self.device, cfg.mixed_precision, cfg.compile_networks)
        if speed_note:
            yield LogMessage(speed_note)
        if self.dist.enabled:  # every rank draws its own noise, from the run's seed and step
            yield LogMessage(self.dist.describe(cfg.batch_size))
            torch.manual_seed(dist_.rank_seed(cfg.seed, self.step, self.dist))

    def _report(
        self, pending: list[torch.Tensor], seconds: float, start_progress: float, start_elapsed: float
    ) -> Generator[TrainEvent, None, tuple[float, ...] | None]:
        """Read the losses of the steps just taken (one transfer), record them and yield their StepMetrics.

        The window's time is shared evenly between its steps. A non-finite loss ends the report there: the step
        count is set back to the last good step and its losses are returned for the divergence message.
        """
        cfg = self.train_config
        losses_t, seconds = self._reduce_report(torch.stack(pending), seconds)
        rows = losses_t.cpu().tolist()
        first_step = self.step - len(rows) + 1
        per_step = seconds / len(rows)
        batch_images = cfg.batch_size * cfg.d_steps * self.dist.world_size
        self._rate = batch_images / per_step if self._rate == 0 else 0.9 * self._rate + 0.1 * batch_images / per_step
        for i, losses in enumerate(rows):
            if first_bad_loss(losses) is not None:
                self.step = first_step + i - 1
                return tuple(losses)
            self.elapsed_seconds += per_step
            self.history.append(first_step + i, self.elapsed_seconds, *losses)
            progress = self.progress(first_step + i)
            yield StepMetrics(
                step=first_step + i,
                epoch=self.epoch,
                images_seen=self.images_seen,
                **dict(zip(LOSS_KEYS, losses, strict=True)),
                images_per_second=self._rate,
                elapsed_seconds=self.elapsed_seconds,
                progress=progress,
                eta_seconds=self._eta(progress, start_progress, start_elapsed),
            )
        return None

    def _reduce_report(self, losses: torch.Tensor, seconds: float) -> tuple[torch.Tensor, float]:
        """The window's losses and time as every rank agrees on them, and the stop request exchanged
        (core/distributed.py); unchanged in a one-process run."""
        if not self.dist.enabled or not isinstance(self.control, dist_.AgreedStop):
            return losses, seconds
        losses, seconds, stop = dist_.reduce_report(losses, seconds, self.control.requested, self.dist)
        self.control.agree(stop)
        return losses, seconds

    def _train_step(self) -> torch.Tensor:
        """One round of D and G updates; returns the LOSS_COLUMNS values (d_loss, g_loss, D(x), D(G(z)), penalty)
        as a tensor on the training device, so that reading it can wait (NaN penalty unless WGAN-GP)."""
        cfg = self.train_config
        z_dim = self.model_config.latent_dim
        for d_step in range(cfg.d_steps):
            real, labels = self._next_batch()
            z = torch.randn(real.size(0), z_dim, device=self.device)
            # The last D step's fakes keep their graph and are the G step's fakes too (as in PyTorch's DCGAN
            # example): one G forward per round instead of two, about 14% of a default MNIST step's multiply-adds.
            with torch.set_grad_enabled(d_step == cfg.d_steps - 1):
                fake = self.g_train(z, labels)
            fake_for_d = fake.detach()
            real_scores, fake_scores = self._score_real_and_fake(real, fake_for_d, labels)
            d_loss = discriminator_loss(cfg.loss, real_scores, fake_scores, cfg.label_smoothing)
            penalty = torch.full((), math.nan, device=self.device)
            if cfg.loss == "wgan-gp":
                penalty = gradient_penalty(self.discriminator, real, fake_for_d, labels)
                d_loss = d_loss + cfg.gp_weight * penalty
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            self.opt_d.step()

        # D's weight gradients from this pass would be thrown away by its next zero_grad; not computing them
        # skips a third of D's backward (and spectral norm's weight-sized backward ops).
        self.discriminator.requires_grad_(False)
        try:
            fake_scores_g = self.d_for_g(diff_augment(fake, cfg.augment), labels)
            g_loss = generator_loss(cfg.loss, fake_scores_g)
            self.opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
        finally:
            self.discriminator.requires_grad_(True)
        self.opt_g.step()
        self._update_ema()
        return torch.stack(
            [
                d_loss.detach(),
                g_loss.detach(),
                real_probability(cfg.loss, real_scores.detach()),
                real_probability(cfg.loss, fake_scores.detach()),
                penalty.detach(),
            ]
        ).float()

    def _score_real_and_fake(
        self, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's scores for both halves in one pass, one matrix product per layer instead of two. Neither
        discriminator has batch norm, so the scores are those of two separate passes, except that spectral
        norm's power iteration (and its weight division) runs once per D step rather than twice."""
        augment = self.train_config.augment
        both = torch.cat([diff_augment(real, augment), diff_augment(fake, augment)])
        both_labels = None if labels is None else torch.cat([labels, labels])
        real_scores, fake_scores = self.d_train(both, both_labels).split([real.size(0), fake.size(0)])
        return real_scores, fake_scores

    def _apply_lr_schedule(self) -> None:
        if self.train_config.lr_decay != "linear":
            return
        remaining = max(0.0, 1.0 - (self.progress() or 0.0))
        for optimizer, lr in ((self.opt_g, self.train_config.g_lr), (self.opt_d, self.train_config.d_lr)):
            for group in optimizer.param_groups:
                group["lr"] = lr * remaining

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        n = self.train_config.batch_size
        global_n = n * self.dist.world_size  # each rank takes its own slice of the global batch
        if self.cursor + global_n > len(self.order):
            self.order = torch.randperm(len(self.images), generator=self.data_rng)
            self.order_on_device = None
            self.cursor = 0
        if self.order_on_device is None:
            self.order_on_device = self.order.to(self.device)
        idx = dist_.global_batch_indices(self.order_on_device, self.cursor, n, self.dist)
        self.cursor += global_n
        self.images_seen += len(idx) * self.dist.world_size
        real = self.images[idx].float().div_(127.5).sub_(1.0)  # (B, C, H, W) in [-1, 1]
        return real, (self.labels[idx] if self.model_config.conditional else None)

    def _calibration_labels(self, n: int, rng: torch.Generator) -> torch.Tensor | None:
        """Labels for the EMA calibration's generator passes, drawn from the data's own class frequencies with
        `rng`, a CPU generator, so that the training RNG is left alone. (Training passes use the labels of the
        real batch, which come from the same frequencies.)"""
        if not self.model_config.conditional:
            return None
        idx = torch.randint(len(self.labels), (n,), generator=rng).to(self.device)
        return self.labels[idx]

    def _update_ema(self) -> None:
        if self.ema_generator is not None:
            update_ema(self.ema_generator, self.generator, self.train_config.ema_decay, self.step)

    # ------------------------------------------------------------------------------------- bookkeeping
    @property
    def epoch(self) -> float:
        return self.images_seen / len(self.images)

    def progress(self, step: int | None = None) -> float | None:
        cfg = self.train_config
        parts = []
        if cfg.steps:
            parts.append((self.step if step is None else step) / cfg.steps)
        if cfg.epochs:
            parts.append(self.epoch / cfg.epochs)
        if cfg.minutes:
            parts.append(self.elapsed_seconds / (cfg.minutes * 60))
        return min(1.0, max(parts)) if parts else None

    def _budget_spent(self) -> bool:
        progress = self.progress()
        return progress is not None and progress >= 1.0

    def _eta(self, progress: float | None, start_progress: float, start_elapsed: float) -> float | None:
        if progress is None or progress <= start_progress:
            return None
        seconds = self.elapsed_seconds - start_elapsed
        return max(0.0, seconds * (1.0 - progress) / (progress - start_progress))

    def _divergence_message(self, losses: tuple[float, ...]) -> str:
        column = first_bad_loss(losses)
        bad = column.name if column is not None else "loss"
        kept = self.checkpoints.kept_description()
        return (
            f"training diverged at step {self.step + 1}: the {bad} became NaN or infinite, so the run was "
            f"stopped and nothing was saved over it; {kept}. Try lower learning rates or the hinge loss."
        )

    def _describe_models(self) -> str:
        from ganstudio.core.networks import count_parameters

        return (
            f"{self.model_config.arch}, G {count_parameters(self.generator):,} / "
            f"D {count_parameters(self.discriminator):,} parameters, {len(self.images):,} images"
        )

    def sampling_generator(self) -> torch.nn.Module:
        """The generator used for samples and export: the EMA copy when enabled."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    @torch.no_grad()
    def calibrate_ema(self, samples: int = CALIBRATION_SAMPLES, max_seconds: float | None = None) -> None:
        """Give the EMA generator batch-norm statistics of its own, before it is saved, exported or measured.

        The EMA copy averages G's weights over about 1/(1 - decay) steps but borrows G's running statistics,
        which describe only G's latest weights, so its activations are slightly mis-normalised. Re-estimating them
        on CALIBRATION_SAMPLES latents costs a fraction of a second for the MLP, too much for every step, so it
        happens for previews and on the way out, and holds until the next step copies G's statistics over it
        again. It draws from its own seeded RNG: training after it is exactly what it would have been without it.
        With `max_seconds` it stops early (after at least two batches), for previews that must stay cheap.
        """
        done = self._ema_calibration
        if self.ema_generator is None or (done is not None and done[0] == self.step and done[1] >= samples):
            return
        rng = torch.Generator().manual_seed(self.train_config.seed + 3)
        z_dim = self.model_config.latent_dim
        deadline = time.perf_counter() + max_seconds if max_seconds is not None else math.inf

        def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
            for i in range(max(1, samples // CALIBRATION_BATCH)):
                if i >= 2 and time.perf_counter() > deadline:
                    return
                z = torch.randn(CALIBRATION_BATCH, z_dim, generator=rng).to(self.device)
                yield z, self._calibration_labels(CALIBRATION_BATCH, rng)

        self._ema_calibration = (self.step, recalibrate_batch_norm(self.ema_generator, batches()))

    def final_generator(self) -> torch.nn.Module:
        """The generator a save or export writes: sampling_generator() with calibrated batch-norm statistics."""
        self.calibrate_ema()
        return self.sampling_generator()

    @torch.no_grad()
    def preview_images(self) -> np.ndarray:
        """(64, C, H, W) float32 in [0, 1] from the fixed latent batch, so grids are comparable over time."""
        generator = self.sampling_generator()
        was_training = generator.training
        generator.eval()
        labels = self.preview_labels.to(self.device) if self.preview_labels is not None else None
        images = generator(self.preview_z.to(self.device), labels)
        generator.train(was_training)
        return ((images.float().cpu().numpy() + 1.0) / 2.0).clip(0.0, 1.0)

    def _preview_events(self, save: bool) -> Iterator[TrainEvent]:
        from ganstudio.runtime.imaging import make_grid, save_png

        if not self.dist.is_main:  # only rank 0 shows and saves samples
            return
        self.calibrate_ema(PREVIEW_CALIBRATION_SAMPLES, PREVIEW_CALIBRATION_SECONDS)
        images = self.preview_images()
        saved = None
        if save and self.run_dir is not None:
            samples_dir = self.run_dir / "samples"
            samples_dir.mkdir(exist_ok=True)
            saved = samples_dir / f"step_{self.step:07d}.png"
            try:
                save_png(make_grid(images, columns=8), saved)
            except OSError as exc:
                saved = None
                yield LogMessage(f"could not save the sample grid: {exc}")
        yield SampleGrid(self.step, images, str(saved) if saved else None)
        yield self.snapshot()

    def snapshot(self) -> GeneratorSnapshot:
        weights = {k: v.detach().cpu().numpy().copy() for k, v in self.sampling_generator().state_dict().items()}
        return GeneratorSnapshot(self.step, self.model_config, weights, self.train_config, self.elapsed_seconds)

    @property
    def last_checkpoint(self) -> Path | None:
        return self.checkpoints.last

    def save(self) -> Path:
        """Write the checkpoint and run.json atomically into the run folder."""
        self.calibrate_ema()
        return self.checkpoints.save(self)

    def _finish(self, reason: str, message: str, export_on_finish: bool) -> Iterator[TrainEvent]:
        checkpoint_path = onnx_path = None
        if reason != "diverged" and self.run_dir is not None and self.dist.is_main:
            try:
                if self.step > 0:
                    checkpoint_path = str(self.save())
                    yield CheckpointSaved(self.step, checkpoint_path)
                    yield from self._preview_events(save=True)
                if export_on_finish and self.step > 0:
                    onnx_path = str(self.export_onnx(self.run_dir / ckpt.ONNX_NAME))
            except WeightsDivergedError as exc:
                reason, message = "diverged", str(exc)
                checkpoint_path = str(self.last_checkpoint) if self.last_checkpoint else None
            except Exception as exc:  # a full disk must not lose the training that happened; report it
                reason, message = "error", f"{message}, but saving failed: {exc}"
        elif self.last_checkpoint is not None:
            checkpoint_path = str(self.last_checkpoint)
        yield TrainingFinished(
            self.step, reason, message, str(self.run_dir) if self.run_dir else None, checkpoint_path, onnx_path
        )

    def export_onnx(self, path: Path) -> Path:
        from ganstudio.core.export import export_onnx

        extra = {
            "step": str(self.step),
            "images_seen": str(self.images_seen),
            "elapsed_seconds": str(round(self.elapsed_seconds, 3)),
            "minutes": f"{self.elapsed_seconds / 60:.1f}",
            "dataset_split": self.dataset.split,
        }
        return export_onnx(self.final_generator(), self.model_config, self.train_config, Path(path), extra)


def _adam(module: torch.nn.Module, lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
    """Adam with torch's fused kernel where the device has one: one pass over each weight tensor instead of
    seven, which made the default MNIST step 8% faster on a 2-core CPU (the optimizer's share fell from 6 to
    1.6 ms of 55); on an H200 it made no measurable difference."""
    try:
        return torch.optim.Adam(module.parameters(), lr=lr, betas=betas, fused=True)
    except (RuntimeError, ValueError):  # a device or torch build without a fused Adam
        return torch.optim.Adam(module.parameters(), lr=lr, betas=betas)
