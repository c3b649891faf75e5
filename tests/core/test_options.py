"""Every config field is declared once and reaches both front ends; shared run-setup rules and loss columns."""

from __future__ import annotations

import argparse
from dataclasses import fields

import pytest

from ganstudio.core.config import ConfigError, ModelConfig, TrainConfig
from ganstudio.core.history import COLUMNS, LOSS_COLUMNS, History, first_bad_loss
from ganstudio.core.options import HIDDEN, Bounds, OptionSpec, options_of
from ganstudio.core.run_setup import app_threads, auto_threads, default_channels, resume_budget, resume_overrides


def _train_parser() -> argparse.ArgumentParser:
    from ganstudio.cli.train_commands import add_parsers

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    add_parsers(sub)
    return sub.choices["train"]


@pytest.mark.parametrize("cls", [ModelConfig, TrainConfig])
def test_every_field_is_declared_with_a_label(cls):
    declared = {opt.name: opt for opt in options_of(cls)}
    assert list(declared) == [f.name for f in fields(cls)]
    for opt in declared.values():
        assert isinstance(opt.spec, OptionSpec) and opt.spec.label, opt.name


@pytest.mark.parametrize("cls", [ModelConfig, TrainConfig])
def test_every_user_facing_field_has_a_cli_flag(cls):
    flags = {s for action in _train_parser()._actions for s in action.option_strings}
    for opt in options_of(cls):
        if opt.user_facing:
            assert opt.spec.cli and opt.flag in flags, f"{cls.__name__}.{opt.name} has no `ganstudio train` flag"
        else:
            assert opt.widget == HIDDEN


def test_the_cli_keeps_its_flag_names_and_defaults():
    args = _train_parser().parse_args([])
    assert args.ema_decay == TrainConfig().ema_decay and args.g_betas == (0.0, 0.9) and args.spectral_norm is True
    args = _train_parser().parse_args(
        ["--ema", "0.5", "--d-betas", "0.5", "0.99", "--conditional", "--no-spectral-norm"]
    )
    assert args.ema_decay == 0.5 and args.d_betas == [0.5, 0.99] and args.num_classes and not args.spectral_norm
    assert args.steps is None and args.channels is None  # a default budget / channels from the data


def test_config_errors_name_their_field():
    cases = [(ModelConfig, {"latent_dim": 0}), (TrainConfig, {"g_lr": -1.0}), (TrainConfig, {"d_beta2": 1.0})]
    for cls, bad in cases:
        with pytest.raises(ConfigError) as caught:
            cls(**bad)
        assert caught.value.field == next(iter(bad))
    with pytest.raises(ConfigError) as caught:
        TrainConfig(lr_decay="linear")
    assert caught.value.field == "lr_decay"


def test_a_resume_budget_is_extra_training_counted_from_the_saved_run():
    state = {"step": 600, "epoch": 1.5, "elapsed_seconds": 1200.0}
    assert resume_budget({"minutes": 20}, state) == {"epochs": 0.0, "steps": 0, "minutes": 40.0}
    assert resume_budget({"steps": 500}, state) == {"epochs": 0.0, "steps": 1100, "minutes": 0.0}
    assert resume_budget({}, state) == {"epochs": 0.0, "steps": 0, "minutes": 0.0}  # until stopped
    with pytest.raises(ValueError):
        resume_budget({"seed": 1}, state)
    saved = TrainConfig(minutes=20.0)
    assert resume_overrides(saved, state, None, seed=0, device="cpu") == {"device": "cpu"}  # budget kept
    assert resume_overrides(saved, state, {"steps": 10}) == {"steps": 610, "minutes": 0.0}


def test_threads_and_channels_rules():
    assert app_threads(3) == 3 and app_threads(0) == auto_threads() >= 1
    for spelling in ("mnist", "fashionmnist", "Fashion_MNIST", "fashion"):
        assert default_channels(spelling) == 1
    assert default_channels("./mnist") == 3 and default_channels("/data/faces") == 3


def test_loss_columns_are_the_history_columns_and_name_the_bad_value():
    assert ("step", "seconds", *(c.key for c in LOSS_COLUMNS)) == COLUMNS
    history = History(capacity=2)
    for step in range(1, 6):
        history.append(step, step * 0.1, *range(len(LOSS_COLUMNS)))
    assert history.column("step").tolist() == [1, 2, 3, 4, 5]
    again = History.from_arrays(history.arrays())
    assert again.column("d_fake").tolist() == history.column("d_fake").tolist()
    nan = float("nan")
    assert first_bad_loss([0.1, 0.2, 0.5, 0.5, nan]) is None  # the penalty is optional
    assert first_bad_loss([0.1, nan, 0.5, 0.5, nan]).name == "generator loss"


def _just_outside(opt) -> list[float]:
    """Values on the wrong side of each declared end: the end itself when it is open, one step past it otherwise."""
    valid, step = opt.spec.valid, (1 if opt.kind is int else 1e-3)
    out = []
    if valid.low is not None:
        out.append(valid.low if valid.low_open else valid.low - step)
    if valid.high is not None:
        out.append(valid.high if valid.high_open else valid.high + step)
    return [opt.kind(v) for v in out]


@pytest.mark.parametrize("cls", [ModelConfig, TrainConfig])
def test_declared_bounds_are_what_the_config_checks(cls):
    bounded = [opt for opt in options_of(cls) if opt.spec.valid is not None]
    assert len(bounded) >= 4
    for opt in bounded:
        cls(**{opt.name: opt.default})  # the default is allowed
        for value in _just_outside(opt):
            with pytest.raises(ConfigError) as caught:
                cls(**{opt.name: value})
            assert caught.value.field == opt.name
            assert str(caught.value) == f"{opt.name} must be {opt.spec.valid.describe()}{_why(opt)}, got {value}"


def _why(opt) -> str:
    return f" ({opt.spec.valid.why})" if opt.spec.valid.why else ""


def test_bounds_describe_their_ends_and_refuse_non_numbers():
    assert Bounds(1, 1024).describe() == "in 1..1024"
    assert Bounds(0.0, 1.0, low_open=True).describe() == "in (0, 1]"
    assert Bounds(0.0, 0.5, high_open=True).describe() == "in [0, 0.5)"
    assert Bounds(0.0).describe() == ">= 0" and Bounds(high=5).describe() == "<= 5"
    assert not Bounds(0.0).allows(float("nan")) and not Bounds(high=1.0).allows(float("inf"))
    with pytest.raises(ConfigError, match="latent_dim must be a number, got '64'"):
        ModelConfig(latent_dim="64")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"ema_decay must be in \[0, 1\), got nan"):
        TrainConfig(ema_decay=float("nan"))


def test_spin_boxes_reach_past_the_bounds_so_the_config_explains():
    latent = next(opt for opt in options_of(ModelConfig) if opt.name == "latent_dim")
    low, high = latent.spin_range()
    assert low < latent.spec.valid.low and high > latent.spec.valid.high
    seed = next(opt for opt in options_of(TrainConfig) if opt.name == "seed")
    assert seed.spin_range() == (0, 2**31 - 1)  # what a QSpinBox holds, though the config allows more
