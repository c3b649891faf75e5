import math
import threading
import time

import pytest
import torch

from ganstudio.core.config import ConfigError, ModelConfig, TrainConfig
from ganstudio.core.events import CheckpointSaved, GeneratorSnapshot, SampleGrid, StepMetrics, TrainingFinished
from ganstudio.core.training import Trainer
from tests.core.helpers import tiny_dataset, tiny_model, tiny_train


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
@pytest.mark.parametrize("loss", ["bce", "wgan-gp", "hinge"])
@pytest.mark.parametrize("conditional", [False, True])
def test_every_architecture_and_objective_trains(arch, loss, conditional):
    data = tiny_dataset(64)
    model = tiny_model(arch=arch, num_classes=10 if conditional else 0, spectral_norm=loss == "hinge")
    trainer = Trainer(model, tiny_train(loss=loss, steps=3, d_steps=2), data)
    events = list(trainer.run(export_on_finish=False))
    metrics = [e for e in events if isinstance(e, StepMetrics)]
    assert [m.step for m in metrics] == [1, 2, 3]
    for m in metrics:
        assert all(math.isfinite(v) for v in (m.d_loss, m.g_loss, m.d_real, m.d_fake))
        assert math.isfinite(m.gradient_penalty) == (loss == "wgan-gp")
    assert metrics[-1].images_seen == 3 * 2 * 16
    assert events[-1].reason == "completed"
    images = trainer.preview_images()
    assert images.shape == (64, 1, 28, 28) and images.min() >= 0 and images.max() <= 1


@pytest.mark.parametrize("size,channels", [(32, 3), (64, 1)])
def test_dcgan_other_sizes(size, channels):
    data = tiny_dataset(32, size=size, channels=channels)
    trainer = Trainer(tiny_model(arch="dcgan", image_size=size, channels=channels), tiny_train(steps=2), data)
    list(trainer.run(export_on_finish=False))
    assert trainer.preview_images().shape == (64, channels, size, size)


def test_impossible_configs_are_rejected_with_the_field_named():
    with pytest.raises(ConfigError, match="image_size"):
        ModelConfig(image_size=30)
    with pytest.raises(ConfigError, match="loss"):
        TrainConfig(loss="lsgan")
    with pytest.raises(ConfigError, match="g_lr"):
        TrainConfig(g_lr=-1)
    with pytest.raises(ConfigError, match="d_steps"):
        TrainConfig(d_steps=0)
    with pytest.raises(ConfigError, match="expects"):
        Trainer(tiny_model(image_size=32), tiny_train(), tiny_dataset(16))
    with pytest.raises(ConfigError, match="labelled"):
        Trainer(tiny_model(num_classes=10), tiny_train(), tiny_dataset(16, classes=0))


def test_training_is_repeatable_with_a_seed():
    def final_weights():
        trainer = Trainer(tiny_model(), tiny_train(steps=4), tiny_dataset(64))
        list(trainer.run(export_on_finish=False))
        return torch.cat([p.flatten() for p in trainer.generator.parameters()])

    assert torch.equal(final_weights(), final_weights())


def test_pause_resume_and_stop_take_effect_between_steps():
    trainer = Trainer(tiny_model(), tiny_train(steps=0, minutes=10), tiny_dataset(64))
    steps: list[int] = []
    finished: list[TrainingFinished] = []

    def consume():
        for event in trainer.run(export_on_finish=False):
            if isinstance(event, StepMetrics):
                steps.append(event.step)
            elif isinstance(event, TrainingFinished):
                finished.append(event)

    thread = threading.Thread(target=consume)
    thread.start()
    deadline = time.monotonic() + 10
    while len(steps) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    trainer.control.pause()
    time.sleep(0.2)
    paused_at = len(steps)
    time.sleep(0.3)
    assert len(steps) == paused_at, "steps advanced while paused"
    trainer.control.resume()
    deadline = time.monotonic() + 10
    while len(steps) <= paused_at and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(steps) > paused_at, "training did not resume"
    t0 = time.monotonic()
    trainer.control.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - t0 < 1.0
    assert finished and finished[0].reason == "stopped"


def test_stop_while_paused_ends_the_run():
    trainer = Trainer(tiny_model(), tiny_train(steps=0, minutes=10), tiny_dataset(64))
    trainer.control.pause()
    result: list = []
    thread = threading.Thread(target=lambda: result.extend(trainer.run(export_on_finish=False)))
    thread.start()
    time.sleep(0.2)
    trainer.control.stop()
    thread.join(5)
    assert not thread.is_alive() and result[-1].reason == "stopped"


@pytest.mark.slow
def test_samples_snapshots_and_checkpoints_are_emitted(tmp_path):
    trainer = Trainer(
        tiny_model(), tiny_train(steps=8, sample_every=4, checkpoint_every=4), tiny_dataset(64), tmp_path / "run"
    )
    events = list(trainer.run(export_on_finish=False))
    grids = [e for e in events if isinstance(e, SampleGrid)]
    assert [g.step for g in grids] == [4, 8, 8]  # periodic, then the final grid
    assert all((tmp_path / "run" / "samples").joinpath(f"step_{s:07d}.png").exists() for s in (4, 8))
    assert any(isinstance(e, GeneratorSnapshot) for e in events)
    assert [e.step for e in events if isinstance(e, CheckpointSaved)] == [4, 8, 8]
    assert (tmp_path / "run" / "checkpoint.safetensors").exists()
    assert (tmp_path / "run" / "run.json").exists()


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    run = tmp_path / "run"
    trainer = Trainer(tiny_model(), tiny_train(steps=10, checkpoint_every=3), tiny_dataset(64), run)
    original = trainer._train_step
    calls = {"n": 0}

    def poisoned():
        calls["n"] += 1
        losses = original()
        if calls["n"] == 5:
            losses[0] = float("nan")
        return losses

    monkeypatch.setattr(trainer, "_train_step", poisoned)
    before = None
    events = []
    for event in trainer.run(export_on_finish=False):
        events.append(event)
        if isinstance(event, CheckpointSaved):
            before = (run / "checkpoint.safetensors").read_bytes()
    finished = events[-1]
    assert finished.reason == "diverged"
    assert "NaN" in finished.message and "last good checkpoint" in finished.message
    assert (run / "checkpoint.safetensors").read_bytes() == before  # untouched after divergence
    assert finished.checkpoint_path.endswith("checkpoint.safetensors")


def test_budget_by_epochs_and_progress():
    trainer = Trainer(tiny_model(), tiny_train(steps=0, epochs=1.0, batch_size=16), tiny_dataset(64))
    metrics = [e for e in trainer.run(export_on_finish=False) if isinstance(e, StepMetrics)]
    assert len(metrics) == 4 and metrics[-1].progress == 1.0
    assert metrics[1].eta_seconds is not None


def test_batch_norm_recalibration_averages_the_given_batches_exactly():
    from ganstudio.core.networks import build_generator, recalibrate_batch_norm

    torch.manual_seed(0)
    generator = build_generator(tiny_model())
    batches = [(torch.randn(32, 8), None) for _ in range(3)]
    first_linear, first_norm = generator.net[0], generator.net[1]
    assert recalibrate_batch_norm(generator, iter(batches)) == 96
    with torch.no_grad():
        pre = [first_linear(z) for z, _ in batches]  # (32, hidden) each
    torch.testing.assert_close(first_norm.running_mean, torch.cat(pre).mean(0))
    torch.testing.assert_close(first_norm.running_var, torch.stack([p.var(0) for p in pre]).mean(0))
    assert not generator.training and first_norm.momentum == 0.1  # eval mode, momentum restored


@pytest.mark.slow
def test_ema_generator_is_calibrated_for_saves_without_changing_training(tmp_path):
    from safetensors.torch import load_file

    def run(run_dir):
        trainer = Trainer(tiny_model(), tiny_train(steps=6, checkpoint_every=4), tiny_dataset(64), run_dir)
        list(trainer.run(export_on_finish=False))
        return trainer

    saved, unsaved = run(tmp_path / "run"), run(None)
    for a, b in zip(saved.generator.parameters(), unsaved.generator.parameters(), strict=True):
        assert torch.equal(a, b)  # the calibration at step 4 drew nothing from training's RNG
    tensors = load_file(str(tmp_path / "run" / "checkpoint.safetensors"))
    ema_mean, g_mean = tensors["G_ema.net.1.running_mean"], tensors["G.net.1.running_mean"]
    assert not torch.allclose(ema_mean, g_mean)  # its own statistics, not G's
    expected = saved.ema_generator.net[1].running_mean.clone()  # calibrated at the final save
    torch.testing.assert_close(ema_mean, expected)
    unsaved.calibrate_ema()
    torch.testing.assert_close(unsaved.ema_generator.net[1].running_mean, expected)


@pytest.mark.slow
def test_reading_losses_in_windows_changes_nothing_but_the_reads(tmp_path):
    """The accelerator path (losses read every few steps) gives the same steps, history, boundaries and weights."""

    def run(steps_per_read: int, folder: str):
        trainer = Trainer(
            tiny_model(), tiny_train(steps=11, sample_every=4, checkpoint_every=6), tiny_dataset(64), tmp_path / folder
        )
        trainer.steps_per_read = steps_per_read
        events = list(trainer.run(export_on_finish=False))
        weights = torch.cat([p.flatten() for p in trainer.generator.parameters()])
        return trainer, events, weights

    every, every_events, every_weights = run(1, "every")
    windowed, windowed_events, windowed_weights = run(5, "windowed")
    assert torch.equal(every_weights, windowed_weights)
    kinds = [(type(e).__name__, getattr(e, "step", None)) for e in windowed_events]
    assert kinds == [(type(e).__name__, getattr(e, "step", None)) for e in every_events]
    metrics = [e for e in windowed_events if isinstance(e, StepMetrics)]
    assert [m.step for m in metrics] == list(range(1, 12))
    assert [m.progress for m in metrics] == pytest.approx([s / 11 for s in range(1, 12)])
    for name in ("step", "d_loss", "g_loss", "d_real", "d_fake"):
        assert every.history.column(name) == pytest.approx(windowed.history.column(name))
    seconds = windowed.history.column("seconds")
    assert (seconds > 0).all() and (seconds[1:] >= seconds[:-1]).all()


def test_a_nan_inside_a_read_window_ends_the_run_at_the_step_it_happened(monkeypatch):
    trainer = Trainer(tiny_model(), tiny_train(steps=20), tiny_dataset(64))
    trainer.steps_per_read = 8
    original = trainer._train_step

    def poisoned():
        losses = original()
        if trainer.step == 5:  # the sixth step
            losses[1] = float("inf")
        return losses

    monkeypatch.setattr(trainer, "_train_step", poisoned)
    events = list(trainer.run(export_on_finish=False))
    assert [e.step for e in events if isinstance(e, StepMetrics)] == [1, 2, 3, 4, 5]
    assert events[-1].reason == "diverged" and events[-1].step == 5
    assert "step 6" in events[-1].message and "generator loss" in events[-1].message
    assert len(trainer.history) == 5


@pytest.mark.parametrize("arch", ["mlp", "dcgan"])
@pytest.mark.parametrize("conditional", [False, True])
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_one_discriminator_pass_scores_real_and_fake_as_two_passes_would(arch, conditional, spectral_norm):
    data = tiny_dataset(64)
    trainer = Trainer(
        tiny_model(arch=arch, num_classes=10 if conditional else 0, spectral_norm=spectral_norm), tiny_train(), data
    )
    # In training mode, so that a discriminator with batch norm (which would mix the halves) fails here; spectral
    # norm's power iteration would move between the two reference passes, so with it D is compared in eval mode.
    trainer.discriminator.train(not spectral_norm)
    real, labels = trainer._next_batch()
    fake = trainer.generator(torch.randn(real.size(0), trainer.model_config.latent_dim), labels).detach()
    with torch.no_grad():
        real_scores, fake_scores = trainer._score_real_and_fake(real, fake, labels)
        assert torch.allclose(real_scores, trainer.discriminator(real, labels), atol=1e-5)
        assert torch.allclose(fake_scores, trainer.discriminator(fake, labels), atol=1e-5)


@pytest.mark.parametrize("d_steps", [1, 3])
def test_a_round_runs_the_generator_once_per_d_step_and_the_g_pass_leaves_d_gradients_alone(d_steps):
    trainer = Trainer(tiny_model(), tiny_train(d_steps=d_steps), tiny_dataset(64))
    forwards = []
    trainer.generator.register_forward_hook(lambda module, args, output: forwards.append(torch.is_grad_enabled()))
    d_grads_after_d_step = []
    step_d = trainer.opt_d.step

    def record_then_step(*args, **kwargs):
        d_grads_after_d_step.append([p.grad.clone() for p in trainer.discriminator.parameters()])
        return step_d(*args, **kwargs)

    trainer.opt_d.step = record_then_step
    trainer._train_step()
    # The last D step's fakes keep their graph and feed the G step; earlier D steps need no graph.
    assert forwards == [False] * (d_steps - 1) + [True]
    assert all(p.requires_grad for p in trainer.discriminator.parameters())
    for grad, recorded in zip(
        (p.grad for p in trainer.discriminator.parameters()), d_grads_after_d_step[-1], strict=True
    ):
        assert torch.equal(grad, recorded)  # the G pass added nothing to D's gradients
    assert all(p.grad is not None for p in trainer.generator.parameters())


def test_discriminator_is_trainable_again_after_a_failed_generator_pass(monkeypatch):
    trainer = Trainer(tiny_model(), tiny_train(), tiny_dataset(64))

    def fail(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("ganstudio.core.training.generator_loss", fail)
    with pytest.raises(RuntimeError, match="boom"):
        trainer._train_step()
    assert all(p.requires_grad for p in trainer.discriminator.parameters())


def test_label_smoothing_moves_bce_real_target_below_one() -> None:
    import torch

    from ganstudio.core.config import ConfigError, TrainConfig
    from ganstudio.core.losses import discriminator_loss

    real, fake = torch.tensor([20.0, 20.0]), torch.tensor([-20.0, -20.0])  # D sure and right on both
    assert discriminator_loss("bce", real, fake).item() < 1e-6
    smoothed = discriminator_loss("bce", real, fake, label_smoothing=0.1).item()
    assert abs(smoothed - 0.1 * 20.0) < 1e-3  # target 0.9: over-confidence on real images now costs
    with pytest.raises(ConfigError) as info:
        TrainConfig(label_smoothing=0.5)
    assert info.value.field == "label_smoothing"
