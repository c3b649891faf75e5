"""The one onnxruntime classifier module: exploring, the map, nearest images and the metrics read the same."""

from __future__ import annotations

import numpy as np
import pytest

from ganstudio.core.feature_extractor import FeatureExtractor
from ganstudio.paths import models_dir
from ganstudio.runtime.digit_classifier import ClassifierError, DigitClassifier, dataset_classifier

CLASSIFIER = models_dir() / "mnist-classifier.onnx"
needs_classifier = pytest.mark.skipif(not CLASSIFIER.is_file(), reason="the shipped MNIST classifier is missing")


@needs_classifier
def test_metrics_extractor_and_runtime_classifier_agree() -> None:
    images = np.random.default_rng(0).integers(0, 256, (7, 1, 28, 28), dtype=np.uint8)
    classifier = dataset_classifier("MNIST")
    assert classifier is not None and classifier is dataset_classifier("mnist")  # cached per file
    probs, feats = classifier.run(images)
    metric_probs, metric_feats = FeatureExtractor("mnist", threads=1).run(images)
    np.testing.assert_allclose(probs, metric_probs, atol=1e-6)
    np.testing.assert_allclose(feats, metric_feats, atol=1e-5)
    assert probs.shape == (7, 10) and np.allclose(probs.sum(1), 1.0)
    np.testing.assert_array_equal(classifier.classes(images), probs.argmax(1))


def test_a_file_that_is_not_a_classifier_is_refused(tmp_path) -> None:
    bad = tmp_path / "mnist-classifier.onnx"
    bad.write_bytes(b"not an onnx file")
    with pytest.raises(ClassifierError, match="cannot load the classifier"):
        DigitClassifier(bad)
    assert dataset_classifier("mnist", tmp_path) is None  # a damaged classifier costs only its features
    assert dataset_classifier("./my-folder") is None
