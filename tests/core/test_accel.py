"""The GPU speed options on a CPU: accepted everywhere options are, and a no-op (bf16) or a clean fallback
(a torch.compile that fails) that leaves training exactly as it would have been."""

from __future__ import annotations

import pytest
import torch

from ganstudio.cli.main import build_parser
from ganstudio.core import accel
from ganstudio.core.config import TrainConfig
from ganstudio.core.training import Trainer
from tests.core.helpers import tiny_dataset, tiny_model, tiny_train


def _train(**changes) -> Trainer:
    trainer = Trainer(tiny_model(), tiny_train(steps=3, sample_every=100, **changes), tiny_dataset())
    list(trainer.run(export_on_finish=False))
    return trainer


def _same_weights(a: Trainer, b: Trainer) -> None:
    for x, y in zip(a.generator.state_dict().values(), b.generator.state_dict().values(), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    for x, y in zip(a.discriminator.state_dict().values(), b.discriminator.state_dict().values(), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_the_options_are_declared_flags_with_safe_defaults():
    assert TrainConfig().mixed_precision is False and TrainConfig().compile_networks is False
    args = build_parser().parse_args(["train", "--mixed-precision", "--compile"])
    assert args.mixed_precision is True and args.compile_networks is True
    resume = build_parser().parse_args(["resume", "run", "--no-compile"])
    assert resume.compile_networks is False


def test_mixed_precision_is_a_no_op_on_a_cpu_and_says_so():
    cpu = torch.device("cpu")
    module = torch.nn.Linear(2, 2)
    assert accel.accelerate(module, cpu, mixed_precision=True, compile_=False) is module
    assert "needs a CUDA GPU" in (accel.describe(cpu, True, False) or "")
    assert accel.describe(cpu, False, True) is None
    plain, bf16 = _train(), _train(mixed_precision=True)
    assert plain.g_train is plain.generator and bf16.g_train is bf16.generator
    _same_weights(plain, bf16)


@pytest.mark.slow
def test_a_failing_compile_falls_back_to_eager_with_a_message(monkeypatch, caplog):
    def no_compiler(graph, example_inputs):
        raise RuntimeError("no C++ compiler on this machine")

    monkeypatch.setattr(accel, "COMPILE_BACKEND", no_compiler)
    compiled = _train(compile_networks=True)
    assert isinstance(compiled.g_train, accel.AcceleratedForward)
    assert not compiled.g_train.compiled and "no C++ compiler" in (compiled.g_train.compile_error or "")
    assert "training without it" in caplog.text
    _same_weights(compiled, _train())


@pytest.mark.slow
def test_a_working_compile_trains_like_eager(monkeypatch):
    monkeypatch.setattr(accel, "COMPILE_BACKEND", "eager")  # dynamo's tracing without a code generator: quick
    compiled = _train(compile_networks=True)
    assert isinstance(compiled.d_train, accel.AcceleratedForward) and compiled.d_train.compiled
    reference = _train()
    for x, y in zip(compiled.generator.parameters(), reference.generator.parameters(), strict=True):
        torch.testing.assert_close(x, y)
