"""Projection: where the encoder and checkpoint are found, the random start, the encoder start, refinement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganstudio.runtime.projection import (
    OnnxEncoder,
    ProjectionCancelled,
    ProjectionError,
    Projector,
    best_random,
    checkpoint_path_for,
    encoder_path_for,
)
from tests.runtime.fakes import SquareGenerator

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_the_encoder_and_checkpoint_beside_a_model_are_found(tmp_path: Path):
    model = tmp_path / "digits.onnx"
    model.write_bytes(b"x")
    assert encoder_path_for(model) is None and checkpoint_path_for(model) is None
    (tmp_path / "digits-encoder.onnx").write_bytes(b"x")
    (tmp_path / "digits.safetensors").write_bytes(b"x")
    assert encoder_path_for(model) == tmp_path / "digits-encoder.onnx"
    assert checkpoint_path_for(model) == tmp_path / "digits.safetensors"
    assert checkpoint_path_for(tmp_path / "digits.safetensors") == tmp_path / "digits.safetensors"
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.safetensors").write_bytes(b"x")
    (run / "encoder.onnx").write_bytes(b"x")
    assert checkpoint_path_for(run) == run / "checkpoint.safetensors" and encoder_path_for(run) == run / "encoder.onnx"


def test_best_random_finds_a_latent_close_to_a_generated_target():
    gen = SquareGenerator()
    target = gen.generate(np.array([[0.5, -0.5, 0.2, 0.0]], np.float32))[0]
    z, label, error = best_random(gen, target, 2000, seed=1)
    worst = float(((gen.generate(np.zeros((1, 4), np.float32))[0] - target) ** 2).mean())
    assert label is None and error < worst / 10
    assert error == pytest.approx(float(((gen.generate(z[None])[0] - target) ** 2).mean()), rel=1e-5)


def test_projection_without_encoder_or_refiner_reports_the_random_stage_and_can_be_cancelled():
    gen = SquareGenerator()
    target = gen.generate(np.array([[-0.3, 0.4, 0.0, 0.0]], np.float32))[0, 0]
    result = Projector(gen).project(target)
    assert [s for s, _ in result.stages] == ["random"]
    assert result.image.shape == (1, 28, 28) and result.error == result.stages[0][1]
    with pytest.raises(ProjectionCancelled):
        Projector(gen).project(target, cancel=lambda: True)
    with pytest.raises(ProjectionError, match="shape"):
        Projector(gen).project(np.zeros((10, 10), np.float32))


class _StepRefiner:
    """Moves z halfway to a known answer per call, as a stand-in for gradient steps."""

    def __init__(self, answer: np.ndarray) -> None:
        self.answer = answer

    def refine(self, z, label, target, steps, progress=None, cancel=None):
        for step in range(1, steps + 1):
            z = z + 0.5 * (self.answer - z)
            if progress is not None:
                progress(step, 0.0)
        return z


def test_refinement_runs_after_the_start_and_its_error_is_reported():
    gen = SquareGenerator()
    answer = np.array([0.7, -0.2, 0.1, 0.0], np.float32)
    target = gen.generate(answer[None])[0]
    seen = []
    result = Projector(gen, refiner=_StepRefiner(answer), refine_steps=20).project(target, progress=seen.append)
    assert [s for s, _ in result.stages] == ["random", "refine"]
    assert result.stages[1][1] < result.stages[0][1] and result.error < 1e-8
    assert [p.stage for p in seen][-1] == "refine" and seen[-1].step == 20


@pytest.mark.slow
def test_gradient_refinement_through_the_shipped_checkpoint_lowers_the_error():
    from ganstudio.runtime.backends import open_generator

    backend = open_generator(MODELS / "mnist.onnx")
    target = backend.generate(np.random.default_rng(3).standard_normal((1, 64)).astype(np.float32))[0]
    projector = Projector(backend, checkpoint=MODELS / "mnist.safetensors", refine_steps=60)
    result = projector.project(target)
    assert result.stages[0][0] == "random" and result.error < 0.5 * result.stages[0][1]


@pytest.mark.skipif(not (MODELS / "mnist-encoder.onnx").is_file(), reason="the shipped encoder is not built")
def test_the_shipped_encoder_starts_closer_than_random_search_and_is_not_listed_as_a_generator():
    from ganstudio.runtime.backends import open_generator

    backend = open_generator(MODELS / "mnist.onnx")
    encoder = OnnxEncoder(MODELS / "mnist-encoder.onnx", backend.info)
    z = np.random.default_rng(0).standard_normal((40, 64)).astype(np.float32)
    targets = backend.generate(z)
    encoded, probs = encoder.encode(targets)
    assert probs is None and encoded.shape == (40, 64)
    encoder_error = float(((backend.generate(encoded) - targets) ** 2).mean())
    random_error = np.mean([best_random(backend, t, 200, seed=i)[2] for i, t in enumerate(targets[:10])])
    assert encoder_error < random_error
    assert b"latent_dim" not in (MODELS / "mnist-encoder.onnx").read_bytes()  # the model manager's generator test


@pytest.mark.skipif(not (MODELS / "mnist-encoder.onnx").is_file(), reason="the shipped encoder is not built")
def test_an_encoder_trained_for_another_version_of_the_generator_is_left_out(tmp_path: Path):
    import shutil

    import onnx

    from ganstudio.runtime.backends import open_generator

    shipped = Projector.for_model(open_generator(MODELS / "mnist.onnx"), MODELS / "mnist.onnx", refine=False)
    assert shipped.encoder is not None and shipped.note == ""  # the shipped pair belongs together
    retrained = onnx.load(str(MODELS / "mnist.onnx"))  # the same shape, other bytes: as a retrained generator
    entry = retrained.metadata_props.add()
    entry.key, entry.value = "retrained", "yes"
    onnx.save(retrained, str(tmp_path / "mnist.onnx"))
    shutil.copy(MODELS / "mnist-encoder.onnx", tmp_path / "mnist-encoder.onnx")
    projector = Projector.for_model(open_generator(tmp_path / "mnist.onnx"), tmp_path / "mnist.onnx", refine=False)
    assert projector.encoder is None and "trained for another version of mnist.onnx" in projector.describe()
