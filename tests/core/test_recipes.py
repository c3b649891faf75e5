"""The shipped-model recipes: overrides and resuming an earlier, shorter run of the same recipe."""

from dataclasses import replace

import pytest
import torch

from ganstudio.core.training import Trainer
from ganstudio.recipes.train_shipped import RECIPES, _resumed_trainer, parse_overrides, split_overrides
from tests.core.helpers import tiny_dataset, tiny_model, tiny_train


def test_overrides_are_typed_and_split_between_the_configs():
    overrides = parse_overrides(["g_layers=2", "d_lr=1e-4", "spectral_norm=false", "augment=translate"])
    assert overrides == {"g_layers": 2, "d_lr": 1e-4, "spectral_norm": False, "augment": "translate"}
    model, train = split_overrides(overrides)
    assert model == {"g_layers": 2, "spectral_norm": False}
    assert train == {"d_lr": 1e-4, "augment": "translate"}
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        parse_overrides(["g_layers"])


def test_every_shipped_recipe_names_real_config_fields():
    for recipe in RECIPES.values():
        model, train = split_overrides({**recipe.model_overrides, **recipe.train_overrides})
        assert model == recipe.model_overrides and train == recipe.train_overrides


def _weights(trainer: Trainer) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in trainer.generator.parameters()])


@pytest.mark.slow
def test_resuming_a_shorter_run_of_the_recipe_equals_one_long_run(tmp_path):
    data, model = tiny_dataset(64), tiny_model()
    short = Trainer(model, tiny_train(steps=4, checkpoint_every=100), data, tmp_path / "short")
    list(short.run(export_on_finish=False))
    long_config = tiny_train(steps=8, checkpoint_every=100, sample_every=5)  # sample_every may differ

    resumed = _resumed_trainer(
        tmp_path / "short" / "checkpoint.safetensors", model, long_config, data, tmp_path / "resumed"
    )
    assert resumed.step == 4 and resumed.train_config == long_config
    list(resumed.run(export_on_finish=False))
    straight = Trainer(model, long_config, data, None)
    list(straight.run(export_on_finish=False))
    assert resumed.step == straight.step == 8
    assert torch.equal(_weights(resumed), _weights(straight))


@pytest.mark.slow
def test_resume_refuses_a_checkpoint_of_another_recipe(tmp_path):
    data, model = tiny_dataset(64), tiny_model()
    run = Trainer(model, tiny_train(steps=4, checkpoint_every=100), data, tmp_path / "run")
    list(run.run(export_on_finish=False))
    path = tmp_path / "run" / "checkpoint.safetensors"
    with pytest.raises(ValueError, match="model config differs"):
        _resumed_trainer(path, replace(model, d_width=16), tiny_train(steps=8), data, tmp_path / "a")
    with pytest.raises(ValueError, match="training config differs"):
        _resumed_trainer(path, model, tiny_train(steps=8, ema_decay=0.99), data, tmp_path / "b")
    with pytest.raises(ValueError, match="already at step 4"):
        _resumed_trainer(path, model, tiny_train(steps=4), data, tmp_path / "c")
