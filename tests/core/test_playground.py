"""The Playground's core: distributions, coverage metrics, the one-update stepper and `ganstudio playground`."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ganstudio.cli.main import main
from ganstudio.core.config import LOSSES, ConfigError, TrainConfig
from ganstudio.core.options import find_option
from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.coverage import coverage, histogram, js_divergence
from ganstudio.core.playground.distributions import (
    DISTRIBUTIONS,
    DistributionError,
    custom,
    make_distribution,
    ring8,
)
from ganstudio.core.playground.presets import PRESETS
from ganstudio.core.playground.snapshot import HEATMAP_SIZE, SnapshotMaker
from ganstudio.core.playground.trainer import PlaygroundTrainer

TINY = dict(g_width=16, d_width=16, g_layers=2, d_layers=2, batch_size=32)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny networks: one torch thread is fastest (as the CLI's default), and threads wait on each other when the
    CPU is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def params(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def same(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


# ---------------------------------------------------------------- coverage on synthetic point sets
def test_all_points_on_one_mode_cover_one_mode():
    dist = ring8()
    points = np.tile(dist.anchors[3], (10_000, 1)) + np.random.default_rng(0).normal(0, 0.01, (10_000, 2))
    result = coverage(points, dist)
    assert result.modes_covered == 1
    assert result.high_quality == pytest.approx(1.0)
    assert result.js > 0.8  # one eighth of the mass where the data is: far from the real histogram


def test_exact_ring_samples_cover_all_modes_with_near_full_quality():
    dist = ring8()
    result = coverage(dist.sample(10_000, np.random.default_rng(1)), dist, seed=2)
    assert (result.modes_covered, result.modes_total) == (8, 8)
    assert result.high_quality == pytest.approx(0.989, abs=0.005)  # P(|noise| < 3 std) in 2-D: 1 - exp(-4.5)
    assert result.js < 0.02 and result.js == pytest.approx(result.js_floor, abs=0.01)


def test_points_between_modes_are_not_high_quality():
    dist = ring8()
    result = coverage(np.zeros((1000, 2)), dist)  # the ring's centre: 2 units from every mode
    assert result.modes_covered == 0 and result.high_quality == 0.0


def test_diverged_points_cover_nothing():
    result = coverage(np.full((100, 2), np.nan), ring8())
    assert result.modes_covered == 0 and result.js == 1.0


def test_js_is_zero_for_equal_and_one_for_disjoint_histograms():
    a = histogram(np.array([[0.0, 0.0]] * 10))
    b = histogram(np.array([[2.0, 2.0]] * 10))
    assert js_divergence(a, a) == pytest.approx(0.0)
    assert js_divergence(a, b) == pytest.approx(1.0)


@pytest.mark.parametrize("name", [d for d in DISTRIBUTIONS if d != "custom"])
def test_every_distribution_covers_itself(name):
    dist = make_distribution(name)
    result = coverage(dist.sample(5000, np.random.default_rng(0)), dist)
    assert result.modes_covered == result.modes_total >= 8
    assert result.high_quality > 0.97


def test_half_a_curve_covers_half_its_modes():
    dist = make_distribution("line")
    points = dist.sample(10_000, np.random.default_rng(0))
    left = points[points[:, 0] < 0]  # the line runs from (-2, -1.5) to (2, 1.5): its first four arcs
    assert coverage(left, dist).modes_covered == 4


def test_drawn_points_group_into_modes():
    dist = custom(np.array([[0, 0], [0.1, 0], [0.2, 0.1], [2, 2], [-2, 1]]))
    assert dist.n_modes == 3
    with pytest.raises(DistributionError):
        make_distribution("custom", np.zeros((0, 2)))


# ---------------------------------------------------------------- config
def test_config_reuses_the_image_training_vocabulary():
    loss = find_option("loss", PlaygroundConfig)
    assert loss is not None
    train_loss = find_option("loss", TrainConfig)
    assert train_loss is not None
    assert loss.spec.choices == LOSSES and loss.spec.choice_labels == train_loss.spec.choice_labels
    assert loss.spec.label == train_loss.spec.label
    with pytest.raises(ConfigError) as info:
        PlaygroundConfig(d_steps=0)
    assert info.value.field == "d_steps"


# ---------------------------------------------------------------- the stepper
def test_step_d_changes_only_d_and_step_g_only_g():
    trainer = PlaygroundTrainer(PlaygroundConfig(**TINY))
    g0, d0 = params(trainer.generator), params(trainer.discriminator)
    trainer.step_d()
    g1, d1 = params(trainer.generator), params(trainer.discriminator)
    assert same(g0, g1) and not same(d0, d1)
    trainer.step_g()
    g2, d2 = params(trainer.generator), params(trainer.discriminator)
    assert not same(g1, g2) and same(d1, d2)
    assert (trainer.g_steps, trainer.d_updates) == (1, 1)


def test_with_an_ema_the_average_is_shown_and_only_g_steps_move_it(capsys):
    trainer = PlaygroundTrainer(PlaygroundConfig(ema_decay=0.9, **TINY))
    assert trainer.shown_generator is not trainer.generator
    shown0 = params(trainer.shown_generator)
    trainer.step_d()
    assert same(shown0, params(trainer.shown_generator))
    for _ in range(5):
        trainer.step_g()
    live, average = params(trainer.generator), params(trainer.shown_generator)
    assert not same(shown0, average) and not same(live, average)
    copied = trainer.weights().generator
    assert all(np.array_equal(copied[k], v.numpy()) for k, v in trainer.shown_generator.state_dict().items())
    assert not any(p.requires_grad for p in trainer.shown_generator.parameters())
    assert main(["playground", "--ema-decay", "0.9", "--steps", "2", "--g-width", "8", "--d-width", "8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config"]["ema_decay"] == 0.9
    with pytest.raises(ConfigError):
        PlaygroundConfig(ema_decay=1.0)


@pytest.mark.parametrize("loss", LOSSES)
def test_a_step_is_d_steps_d_updates_then_one_g_update(loss):
    trainer = PlaygroundTrainer(PlaygroundConfig(loss=loss, d_steps=3, spectral_norm=True, **TINY))
    record = trainer.step()
    assert (trainer.g_steps, trainer.d_updates, trainer.last_moved) == (1, 3, "G")
    assert np.isfinite(record.d_loss) and np.isfinite(record.g_loss)
    assert np.isfinite(record.gradient_penalty) == (loss == "wgan-gp")
    assert [r.g_step for r in trainer.take_records()] == [1] and trainer.take_records() == []


def test_training_is_repeatable_and_unaffected_by_drawing_or_a_second_trainer():
    config = PlaygroundConfig(loss="wgan-gp", d_steps=2, **TINY)
    alone = PlaygroundTrainer(config)
    for _ in range(5):
        alone.step()
    watched, other = PlaygroundTrainer(config), PlaygroundTrainer(PlaygroundConfig(seed=3, **TINY))
    for _ in range(5):
        watched.step()
        other.step()  # interleaved, as in Compare
        watched.snapshot()
        torch.rand(7)  # someone else using the global RNG
    np.testing.assert_array_equal(alone.generate(100), watched.generate(100))


def test_a_snapshot_from_copied_weights_equals_the_trainers_own():
    trainer = PlaygroundTrainer(PlaygroundConfig(spectral_norm=True, **TINY))
    for _ in range(3):
        trainer.step()
    maker = SnapshotMaker(trainer.config, trainer.distribution)
    maker.load(trainer.weights())
    own, copied = trainer.snapshot(), maker.snapshot(trainer.g_steps, trainer.d_updates, trainer.last_moved)
    assert own.heatmap.shape == (HEATMAP_SIZE, HEATMAP_SIZE)
    np.testing.assert_array_equal(own.heatmap, copied.heatmap)
    np.testing.assert_array_equal(own.fake, copied.fake)
    np.testing.assert_allclose(own.arrows, copied.arrows)
    assert own.manifold.shape[1:] == (48, 2) and len(own.arrows) % 2 == 0
    assert maker.coverage() == trainer.coverage()


def test_learning_rates_halve_every_half_life_of_g_steps_and_stay_without_one():
    trainer = PlaygroundTrainer(PlaygroundConfig(**TINY, g_lr=4e-3, d_lr=2e-3, lr_half_life=4))
    for _ in range(8):
        trainer.step()
    assert trainer.g_opt.param_groups[0]["lr"] == pytest.approx(1e-3)
    assert trainer.d_opt.param_groups[0]["lr"] == pytest.approx(5e-4)
    trainer.step_g()  # a single G step follows the same schedule
    assert trainer.g_opt.param_groups[0]["lr"] == pytest.approx(4e-3 * 0.5 ** (9 / 4))
    constant = PlaygroundTrainer(PlaygroundConfig(**TINY, g_lr=4e-3))
    constant.step()
    assert constant.g_opt.param_groups[0]["lr"] == 4e-3
    with pytest.raises(ConfigError, match="lr_half_life"):
        PlaygroundConfig(lr_half_life=-1)


def test_presets_are_valid_and_include_a_collapse_and_a_cure():
    names = [p.name for p in PRESETS]
    assert len(set(names)) == len(names) >= 2
    assert any("collapse" in n.lower() for n in names)


# ---------------------------------------------------------------- CLI
def test_cli_writes_ten_thousand_float32_points_and_prints_json(tmp_path, capsys):
    out = tmp_path / "points.npy"
    args = ["playground", "--dist", "grid25", "--loss", "hinge", "--spectral-norm", "--d-steps", "2"]
    args += ["--steps", "3", "--seed", "5", "--out", str(out), "--json", "--g-width", "16", "--d-width", "16"]
    assert main(args) == 0
    points = np.load(out)
    assert points.dtype == np.float32 and points.shape == (10_000, 2)
    report = json.loads(capsys.readouterr().out)
    assert report["g_steps"] == 3 and report["modes_total"] == 25 and report["config"]["d_steps"] == 2
    assert 0 <= report["high_quality"] <= 1 and 0 <= report["js"] <= 1


def test_cli_custom_points_and_bad_input(tmp_path, capsys):
    drawn = tmp_path / "drawn.npy"
    np.save(drawn, np.array([[0.0, 0.0], [1.5, 1.5]]))
    assert main(["playground", "--dist", "custom", "--points", str(drawn), "--steps", "1", "--g-width", "8"]) == 0
    assert "modes" in capsys.readouterr().out
    assert main(["playground", "--dist", "custom", "--steps", "1"]) == 1
    assert "--points" in capsys.readouterr().err
    assert main(["playground", "--d-steps", "0", "--steps", "1"]) == 1
    assert "d_steps must be in 1..20" in capsys.readouterr().err
