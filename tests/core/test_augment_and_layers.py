"""DiffAugment of D's inputs and the depth of the MLP generator."""

import json

import pytest
import torch

from ganstudio.core.augment import diff_augment, random_cutout, random_translate
from ganstudio.core.checkpoint import load_generator
from ganstudio.core.config import ConfigError, ModelConfig, config_from_dict, config_to_dict
from ganstudio.core.events import TrainingFinished
from ganstudio.core.networks import build_generator, update_ema
from ganstudio.core.training import Trainer
from tests.core.helpers import tiny_dataset, tiny_model, tiny_train


def test_translation_moves_whole_images_and_fills_with_background():
    torch.manual_seed(0)
    images = torch.full((64, 1, 28, 28), -1.0)
    images[:, :, 12:16, 12:16] = 1.0  # a 4x4 square in the middle
    moved = random_translate(images)
    assert moved.shape == images.shape
    assert torch.all((moved == 1.0).sum(dim=(1, 2, 3)) == 16)  # the square is shifted, never clipped or blurred
    assert torch.all((moved == 1.0) | (moved == -1.0))
    offsets = {tuple(torch.nonzero(m[0] == 1.0)[0].tolist()) for m in moved}
    assert len(offsets) > 10  # each image gets its own shift
    assert all(8 <= r <= 16 and 8 <= c <= 16 for r, c in offsets)  # at most 4 px at 28x28


def test_cutout_blanks_one_square_per_image():
    torch.manual_seed(0)
    holes = (random_cutout(torch.ones(32, 3, 28, 28)) == -1.0).all(dim=1).sum(dim=(1, 2))
    assert torch.all(holes == 49)  # 7x7 per image, the same in every channel


def test_augmentation_is_differentiable_and_none_is_identity():
    x = torch.randn(8, 1, 28, 28, requires_grad=True)
    assert diff_augment(x, "none") is x
    diff_augment(x, "translate-cutout").sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.slow
@pytest.mark.parametrize("augment", ["translate", "translate-cutout"])
def test_training_with_augmentation(augment):
    trainer = Trainer(tiny_model(), tiny_train(augment=augment), tiny_dataset())
    events = list(trainer.run(export_on_finish=False))
    assert isinstance(events[-1], TrainingFinished) and events[-1].reason == "completed"


def test_unknown_augmentation_and_depth_are_rejected():
    with pytest.raises(ConfigError, match="augment"):
        tiny_train(augment="rotate")
    with pytest.raises(ConfigError, match="g_layers"):
        tiny_model(g_layers=0)


@pytest.mark.parametrize("layers", [1, 2, 3, 4])
def test_mlp_generator_depth(layers):
    cfg = tiny_model(g_layers=layers)
    linears = [m for m in build_generator(cfg).modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linears[:-1]] == [4 * cfg.g_width * 2**i for i in range(layers)]
    assert build_generator(cfg)(torch.randn(2, cfg.latent_dim)).shape == (2, 1, 28, 28)


def test_default_generator_is_the_classic_256_512_1024():
    linears = [m for m in build_generator(ModelConfig()).modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linears] == [256, 512, 1024, 784]


def test_configs_saved_before_g_layers_existed_rebuild_with_two_layers():
    old = config_to_dict(ModelConfig(g_layers=2))
    del old["g_layers"]
    assert config_from_dict(ModelConfig, old).g_layers == 2
    assert config_from_dict(ModelConfig, json.loads(json.dumps(config_to_dict(ModelConfig())))).g_layers == 3


def test_shipped_checkpoints_still_load():
    from pathlib import Path

    models = Path(__file__).resolve().parents[2] / "models"
    layers = {}
    for checkpoint in sorted(models.glob("*.safetensors")):
        generator, model_cfg, _, _ = load_generator(checkpoint)
        z = torch.randn(2, model_cfg.latent_dim)
        labels = torch.zeros(2, dtype=torch.long) if model_cfg.conditional else None
        assert generator(z, labels).shape == (2, 1, 28, 28)
        layers[checkpoint.stem] = model_cfg.g_layers
    # As their recipes say (recipes/train_shipped.py): mnist-conditional keeps G 256-512.
    assert layers == {"fashion-mnist": 3, "mnist": 3, "mnist-conditional": 2}


def test_linear_lr_decay_falls_to_zero_over_the_budget():
    trainer = Trainer(tiny_model(), tiny_train(steps=10, lr_decay="linear", g_lr=1e-3, d_lr=2e-3), tiny_dataset())
    seen = []
    for event in trainer.run(export_on_finish=False):
        if not isinstance(event, TrainingFinished):
            seen.append((trainer.opt_g.param_groups[0]["lr"], trainer.opt_d.param_groups[0]["lr"]))
    g_rates = sorted({round(g, 12) for g, _ in seen}, reverse=True)
    assert g_rates[0] == pytest.approx(1e-3) and g_rates[-1] == pytest.approx(1e-4)  # step 10 of 10 ran at 1/10
    assert all(d == pytest.approx(2 * g) for g, d in seen)


def test_lr_decay_needs_a_budget():
    with pytest.raises(ConfigError, match="lr_decay"):
        tiny_train(steps=0, lr_decay="linear")


@pytest.mark.parametrize("steps", [200, 2000])
def test_ema_warm_up_averages_the_run_so_far_centred_at_three_quarters(steps):
    """Feeding the step number as the weight, the EMA is the average step it weighs: 3/4 of the run (weights
    in proportion to step squared) while the warm-up is the smaller decay, however long the run so far."""
    ema, source = torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(ema.weight)
    for step in range(steps):
        source.weight.data.fill_(float(step))
        update_ema(ema, source, 0.9999, step)
    assert ema.weight.item() / steps == pytest.approx(0.75, abs=0.01)
