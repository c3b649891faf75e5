"""The latent encoder: training lowers the reconstruction error, export matches torch, and the file is not
mistaken for a generator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from ganstudio.core.encoder import EncoderConfig, LatentEncoder, encoder_metadata, export_encoder_onnx
from ganstudio.core.encoder_training import EncoderTrainConfig, train_encoder
from ganstudio.core.networks import build_generator
from ganstudio.runtime.projection import OnnxEncoder
from tests.core.helpers import tiny_dataset, tiny_model
from tests.runtime.fakes import fake_info


def _reconstruction_error(generator, encoder: LatentEncoder, n: int = 64) -> float:
    z = torch.randn(n, 8, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        x = (generator(z) + 1) * 0.5
        return float((((generator(encoder(x)[0]) + 1) * 0.5 - x) ** 2).mean())


@pytest.mark.slow
def test_training_lowers_the_reconstruction_error_and_the_export_matches_torch(tmp_path: Path):
    torch.manual_seed(0)
    generator = build_generator(tiny_model()).eval()
    cfg = EncoderConfig(z_size=8, num_classes=0, image_size=28, channels=1, width=4, hidden=32)
    before = _reconstruction_error(generator, LatentEncoder(cfg).eval())
    steps = []
    encoder = train_encoder(
        generator, cfg, EncoderTrainConfig(steps=60, batch_size=16, threads=1), tiny_dataset(64).images,
        progress=steps.append, every=20,
    )  # fmt: skip
    assert [s.step for s in steps] == [20, 40, 60]
    assert _reconstruction_error(generator, encoder) < before
    assert all(not p.requires_grad for p in generator.parameters())  # the generator stays frozen

    path = export_encoder_onnx(encoder, tmp_path / "tiny-encoder.onnx", encoder_metadata(cfg, "abc", {"steps": 60}))
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(meta["encoder_config"])["z_size"] == 8 and meta["generator_sha256"] == "abc"
    assert b"latent_dim" not in path.read_bytes()  # how the model manager tells generators apart
    runtime = OnnxEncoder(path, fake_info(latent_dim=8))
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    z, probs = runtime.encode(x)
    with torch.no_grad():
        expected = encoder(torch.from_numpy(x))[0].numpy()
    assert probs is None and np.allclose(z, expected, atol=1e-4)


@pytest.mark.slow  # the ONNX export alone takes seconds
def test_a_conditional_encoder_predicts_class_probabilities(tmp_path: Path):
    cfg = EncoderConfig(z_size=8, num_classes=10, image_size=28, channels=1, width=4, hidden=16)
    encoder = LatentEncoder(cfg).eval()
    path = export_encoder_onnx(encoder, tmp_path / "c.onnx", encoder_metadata(cfg, "", {}))
    z, probs = OnnxEncoder(path, fake_info(latent_dim=8, num_classes=10)).encode(np.zeros((2, 1, 28, 28), np.float32))
    assert z.shape == (2, 8) and probs is not None and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_an_encoder_for_another_generator_is_refused(tmp_path: Path):
    from ganstudio.runtime.projection import ProjectionError

    cfg = EncoderConfig(z_size=8, num_classes=0, image_size=28, channels=1, width=4, hidden=16)
    path = export_encoder_onnx(LatentEncoder(cfg).eval(), tmp_path / "e.onnx", encoder_metadata(cfg, "", {}))
    with pytest.raises(ProjectionError, match="another generator"):
        OnnxEncoder(path, fake_info(latent_dim=16))
