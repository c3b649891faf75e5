"""The shipped-model recipes: overrides, resuming an earlier, shorter run of the same recipe, repeatability of
every recipe, and the emoji recipe on a small colour folder."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganstudio.core.training import Trainer
from ganstudio.recipes.train_shipped import (
    RECIPES,
    _resumed_trainer,
    load_recipe_data,
    parse_overrides,
    recipe_configs,
    split_overrides,
    train_recipe,
)
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


def _run_twice(recipe, dataset) -> tuple[Trainer, Trainer]:
    short = replace(recipe, steps=2)
    runs = []
    for _ in range(2):
        model_config, train_config = recipe_configs(short, dataset, threads=1, device="cpu")
        trainer = Trainer(model_config, train_config, dataset, None)
        list(trainer.run(export_on_finish=False))
        runs.append(trainer)
    return runs[0], runs[1]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_a_short_run_of_each_recipe_is_deterministic(name):
    recipe = RECIPES[name]
    size, channels = recipe.model_overrides.get("image_size", 28), recipe.model_overrides.get("channels", 1)
    data = tiny_dataset(256, size=size, channels=channels, classes=10 if not recipe.folder else 3)
    first, second = _run_twice(recipe, data)
    assert first.step == second.step == 2
    assert first.model_config.arch == recipe.model_overrides.get("arch", "mlp")
    assert torch.equal(_weights(first), _weights(second))
    d_first = torch.cat([p.detach().flatten() for p in first.discriminator.parameters()])
    assert torch.equal(d_first, torch.cat([p.detach().flatten() for p in second.discriminator.parameters()]))
    ema_first, ema_second = (t.sampling_generator().state_dict() for t in (first, second))
    assert all(torch.equal(ema_first[k], ema_second[k]) for k in ema_first)


def _emoji_like_folder(root: Path, n: int = 18) -> Path:
    rng = np.random.default_rng(0)
    for i in range(n):
        folder = root / ("emoticons", "transport-and-map", "miscellaneous-symbols")[i % 3]
        folder.mkdir(parents=True, exist_ok=True)
        colour = rng.integers(0, 256, 3)
        pixels = np.full((64, 64, 3), 255, np.uint8)
        pixels[16:48, 16:48] = colour
        Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


@pytest.mark.slow
def test_the_emoji_recipe_trains_on_a_folder_and_writes_a_card_with_swd(tmp_path):
    folder = _emoji_like_folder(tmp_path / "emoji")
    recipe = replace(RECIPES["emoji"], steps=2)
    card = train_recipe(
        recipe, tmp_path / "out", str(folder), threads=1, device="cpu", eval_samples=16, log=str, quality_samples=16
    )
    assert card["recipe"]["model_config"]["arch"] == "dcgan" and card["recipe"]["model_config"]["image_size"] == 64
    assert card["recipe"]["model_config"]["num_classes"] == 3  # conditional on the subfolders
    assert card["recipe"]["train_config"]["augment"] == "translate-cutout"
    metrics = card["metrics"]
    assert metrics["available"] and metrics["metric"] == "swd" and metrics["swd"]["resolutions"] == [64, 32, 16]
    assert metrics["reference"]["n"] == 18 and metrics["model"] == "emoji.onnx"
    assert card["metrics_over_seeds"]["seeds"] == [0, 1, 2, 3, 4]
    assert [point["step"] for point in card["quality_over_time"]] == [1, 2]  # measured at every sample grid
    assert all(point["swd_floor"] > 0 for point in card["quality_over_time"])
    assert (tmp_path / "out" / "emoji.onnx").is_file()
    written = json.loads((tmp_path / "out" / "emoji.json").read_text(encoding="utf-8"))
    assert written["metrics"] == metrics


def test_folder_recipes_need_the_folder():
    with pytest.raises(SystemExit, match="--data-dir"):
        load_recipe_data(RECIPES["emoji"], None)
