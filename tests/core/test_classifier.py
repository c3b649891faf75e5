"""The metrics classifier: shapes, a few training steps, augmentation, and ONNX export parity / contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from ganstudio.core.classifier import (
    Augment,
    DigitClassifier,
    augment_batch,
    classifier_metadata,
    export_classifier_onnx,
    train_classifier,
)
from ganstudio.core.metrics import FEATURE_DIM, FeatureExtractor
from tests.core.helpers import tiny_dataset


def test_shapes() -> None:
    model = DigitClassifier().eval()
    logits, feats = model.forward_features(torch.rand(3, 1, 28, 28))
    assert logits.shape == (3, 10) and feats.shape == (3, FEATURE_DIM)
    assert (feats >= 0).all()  # post-ReLU activations


def test_augment_identity_and_shift() -> None:
    x = torch.rand(4, 1, 28, 28)
    gen = torch.Generator().manual_seed(0)
    same = augment_batch(x, Augment(shift_px=0, rotate_deg=0), gen)
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)
    moved = augment_batch(x, Augment(shift_px=2, rotate_deg=10, scale=0.05), gen)
    assert moved.shape == x.shape and not torch.allclose(moved, x)
    with pytest.raises(ValueError):
        Augment(shift_px=-1)


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    data = tiny_dataset(256, seed=1)
    held = tiny_dataset(64, seed=2)
    model, accuracy = train_classifier(data, held, epochs=1, seed=0, batch_size=32, max_batches=4)
    return model, accuracy


def test_a_few_training_steps(trained) -> None:
    model, accuracy = trained
    assert not model.training and 0.0 <= accuracy <= 1.0
    with pytest.raises(ValueError):
        train_classifier(tiny_dataset(8, size=32), tiny_dataset(8), epochs=1, seed=0)


@pytest.mark.slow
def test_onnx_export_is_one_file_with_dynamic_batch_and_parity(trained, tmp_path: Path) -> None:
    model, accuracy = trained
    meta = classifier_metadata("mnist", tuple("0123456789"), accuracy, {"train": 256, "held_out": 64}, 0, 1)
    path = export_classifier_onnx(model, tmp_path / "mnist-classifier.onnx", meta)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist-classifier.onnx"]  # no external .data file
    assert path.stat().st_size < 2_000_000

    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["dataset"] == "mnist" and json.loads(props["class_names"]) == list("0123456789")
    assert float(props["held_out_accuracy"]) == pytest.approx(accuracy, abs=1e-6)
    assert "split" in props and props["seed"] == "0"

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["logits", "features"]
    batch_dim = session.get_inputs()[0].shape[0]
    assert not isinstance(batch_dim, int)  # symbolic: dynamic batch
    rng = np.random.default_rng(0)
    for batch in (1, 7):
        x = rng.random((batch, 1, 28, 28), dtype=np.float32)
        logits, feats = session.run(None, {"image": x})
        with torch.inference_mode():
            ref_logits, ref_feats = (t.numpy() for t in model.forward_features(torch.from_numpy(x)))
        np.testing.assert_allclose(logits, ref_logits, atol=1e-4, rtol=0)
        np.testing.assert_allclose(feats, ref_feats, atol=1e-4, rtol=0)

    # The metrics side loads the same file without torch, and takes other sizes / RGB too.
    extractor = FeatureExtractor("mnist", models_path=tmp_path, threads=1)
    probs, feats = extractor.run(rng.random((5, 3, 32, 32), dtype=np.float32))
    assert probs.shape == (5, 10) and feats.shape == (5, FEATURE_DIM)
    assert extractor.held_out_accuracy == pytest.approx(accuracy, abs=1e-6)
