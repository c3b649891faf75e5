"""The GPU path: skipped without CUDA. The rest of the core tests pin the CPU, where training is exactly
repeatable; these check what only a GPU run can get wrong (device RNG, losses read in windows, calibration)."""

import copy

import pytest
import torch

from ganstudio.core.events import StepMetrics
from ganstudio.core.networks import recalibrate_batch_norm
from ganstudio.core.training import CALIBRATION_BATCH, CALIBRATION_SAMPLES, DEVICE_STEPS_PER_READ, Trainer
from tests.core.helpers import tiny_dataset, tiny_model, tiny_train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _weights(module):
    return torch.cat([t.flatten().float().cpu() for t in module.state_dict().values()])


def test_gpu_training_reports_every_step_while_reading_losses_in_windows():
    steps = 2 * DEVICE_STEPS_PER_READ + 3
    trainer = Trainer(tiny_model(), tiny_train(steps=steps, device="cuda", sample_every=1000), tiny_dataset(64))
    assert trainer.steps_per_read == DEVICE_STEPS_PER_READ
    events = list(trainer.run(export_on_finish=False))
    metrics = [e for e in events if isinstance(e, StepMetrics)]
    assert [m.step for m in metrics] == list(range(1, steps + 1))
    assert all(m.images_per_second > 0 and m.elapsed_seconds > 0 for m in metrics)
    assert events[-1].reason == "completed"


def test_gpu_resume_restores_the_device_rng_and_continues_exactly(tmp_path):
    def config(steps):
        return tiny_train(steps=steps, device="cuda", augment="none", checkpoint_every=1000)

    straight = Trainer(tiny_model(), config(10), tiny_dataset(64), tmp_path / "a")
    list(straight.run(export_on_finish=False))
    first = Trainer(tiny_model(), config(5), tiny_dataset(64), tmp_path / "b")
    list(first.run(export_on_finish=False))
    saved_rng = torch.cuda.get_rng_state()
    torch.cuda.manual_seed(12345)  # what else the process drew must not matter
    resumed = Trainer.from_checkpoint(tmp_path / "b", tiny_dataset(64), steps=10)
    assert torch.equal(torch.cuda.get_rng_state(), saved_rng)
    list(resumed.run(export_on_finish=False))
    for name in ("generator", "discriminator", "ema_generator"):
        assert torch.allclose(_weights(getattr(resumed, name)), _weights(getattr(straight, name)), atol=1e-5), name


def test_gpu_calibration_matches_the_same_calibration_on_the_cpu():
    trainer = Trainer(tiny_model(g_width=16), tiny_train(steps=20, device="cuda"), tiny_dataset(64))
    list(trainer.run(export_on_finish=False))
    trainer.calibrate_ema()
    cpu_ema = copy.deepcopy(trainer.ema_generator).cpu()
    rng = torch.Generator().manual_seed(trainer.train_config.seed + 3)
    batches = [
        (torch.randn(CALIBRATION_BATCH, trainer.model_config.latent_dim, generator=rng), None)
        for _ in range(CALIBRATION_SAMPLES // CALIBRATION_BATCH)
    ]
    recalibrate_batch_norm(cpu_ema, batches)
    gpu_stats = {k: v.cpu() for k, v in trainer.ema_generator.state_dict().items() if "running" in k}
    assert gpu_stats
    for key, value in gpu_stats.items():
        assert torch.allclose(value, cpu_ema.state_dict()[key], rtol=1e-4, atol=1e-5), key


def test_gpu_resume_of_a_plain_adam_checkpoint_runs_fused(tmp_path, monkeypatch):
    from ganstudio.core import training

    with monkeypatch.context() as patch:
        patch.setattr(training, "_adam", lambda module, lr, betas: torch.optim.Adam(module.parameters(), lr, betas))
        first = Trainer(tiny_model(), tiny_train(steps=3, device="cuda"), tiny_dataset(64), tmp_path / "run")
        list(first.run(export_on_finish=False))
    resumed = Trainer.from_checkpoint(tmp_path / "run", tiny_dataset(64), steps=6)
    assert all(group["fused"] for group in resumed.opt_g.param_groups)
    metrics = [e for e in resumed.run(export_on_finish=False) if isinstance(e, StepMetrics)]
    assert [m.step for m in metrics] == [4, 5, 6]
    assert all(p.device.type == "cuda" for p in resumed.generator.parameters())
