import math
import os
import pickle

import pytest
import torch

from ganstudio.core import checkpoint as ckpt
from ganstudio.core.checkpoint import CheckpointError, load_checkpoint, load_generator
from ganstudio.core.events import StepMetrics
from ganstudio.core.training import Trainer
from tests.core.helpers import tiny_dataset, tiny_model, tiny_train


def _train(run, steps, **changes):
    trainer = Trainer(tiny_model(**changes), tiny_train(steps=steps, checkpoint_every=1000), tiny_dataset(64), run)
    events = list(trainer.run(export_on_finish=False))
    return trainer, events


def _weights(module):
    return torch.cat([t.flatten().float() for t in module.state_dict().values()])


@pytest.mark.slow
def test_round_trip_restores_configs_weights_and_history(tmp_path):
    trainer, _ = _train(tmp_path / "run", 5)
    data = load_checkpoint(tmp_path / "run")
    assert data.model_config == trainer.model_config
    assert data.train_config == trainer.train_config
    assert data.state["step"] == 5
    assert list(data.history()["step"]) == [1, 2, 3, 4, 5]
    generator, _, _, summary = load_generator(tmp_path / "run")
    assert torch.equal(_weights(generator), _weights(trainer.ema_generator))
    assert not generator.training and summary["step"] == "5"


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["bce", "wgan-gp"])
def test_resume_continues_exactly(tmp_path, loss):
    straight = Trainer(tiny_model(arch="dcgan"), tiny_train(steps=10, loss=loss), tiny_dataset(64), tmp_path / "a")
    list(straight.run(export_on_finish=False))
    first = Trainer(tiny_model(arch="dcgan"), tiny_train(steps=5, loss=loss), tiny_dataset(64), tmp_path / "b")
    list(first.run(export_on_finish=False))
    resumed = Trainer.from_checkpoint(tmp_path / "b", tiny_dataset(64), steps=10)
    assert resumed.step == 5
    metrics = [e for e in resumed.run(export_on_finish=False) if isinstance(e, StepMetrics)]
    assert [m.step for m in metrics] == [6, 7, 8, 9, 10]
    for name in ("generator", "discriminator", "ema_generator"):
        assert torch.allclose(_weights(getattr(resumed, name)), _weights(getattr(straight, name)), atol=1e-6), name
    assert len(resumed.history) == 10
    assert resumed.images_seen == straight.images_seen


def test_pickled_file_is_refused_without_being_loaded(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("open(r'%s', 'w').write('pwned')" % (tmp_path / "pwned"),))

    path = tmp_path / "evil.safetensors"
    torch.save({"x": Boom()}, path)  # a zip-based pickle, as .pt files are
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(path)
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(CheckpointError, match="pickle"):
        load_generator(path)
    assert not (tmp_path / "pwned").exists()


def test_damaged_and_foreign_files_fail_with_a_message(tmp_path):
    _train(tmp_path / "run", 2)
    good = (tmp_path / "run" / "checkpoint.safetensors").read_bytes()
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(truncated)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError):
        load_checkpoint(garbage)
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign))
    with pytest.raises(CheckpointError, match="not a GAN Studio checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing")


def test_weights_of_another_architecture_are_reported(tmp_path):
    _train(tmp_path / "run", 2)
    data = load_checkpoint(tmp_path / "run")
    # Rewrite the header to claim a different architecture than the stored weights.
    ckpt.save_checkpoint(
        tmp_path / "lie.safetensors", tiny_model(arch="dcgan"), data.train_config, data.state, data.tensors
    )
    with pytest.raises(CheckpointError, match="do not fit the architecture"):
        load_generator(tmp_path / "lie.safetensors")


def test_failed_save_leaves_previous_checkpoint_loadable(tmp_path):
    trainer, _ = _train(tmp_path / "run", 3)
    path = tmp_path / "run" / "checkpoint.safetensors"
    before = path.read_bytes()
    (tmp_path / "run").chmod(0o500)  # no new files in the folder (ignored by root: then a file blocks the name)
    blocker = tmp_path / "run" / f".checkpoint.safetensors.{os.getpid()}.tmp"
    if os.access(tmp_path / "run", os.W_OK):
        blocker.mkdir()
    try:
        with pytest.raises(CheckpointError, match="could not save checkpoint"):
            trainer.save()
    finally:
        (tmp_path / "run").chmod(0o700)
    assert path.read_bytes() == before
    assert load_checkpoint(path).state["step"] == 3


@pytest.mark.slow
def test_a_checkpoint_from_a_plain_adam_resumes_with_the_fused_one(tmp_path, monkeypatch):
    from ganstudio.core import training

    with monkeypatch.context() as patch:  # what earlier versions saved: Adam without the fused kernel
        patch.setattr(training, "_adam", lambda module, lr, betas: torch.optim.Adam(module.parameters(), lr, betas))
        _train(tmp_path / "run", 3)
    resumed = Trainer.from_checkpoint(tmp_path / "run", tiny_dataset(64), steps=5)
    assert all(group["fused"] for opt in (resumed.opt_g, resumed.opt_d) for group in opt.param_groups)
    metrics = [e for e in resumed.run(export_on_finish=False) if isinstance(e, StepMetrics)]
    assert [m.step for m in metrics] == [4, 5] and all(math.isfinite(m.g_loss) for m in metrics)
