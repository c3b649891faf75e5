"""The issue's target on the shipped MNIST generator: moving along "ink" from -2 to +2 raises the measured ink
for at least 95% of 200 fresh seeds while the shipped classifier keeps the digit for at least 90%."""

from __future__ import annotations

import pytest

from ganstudio.paths import shipped_model_path
from ganstudio.runtime.backends import OnnxGenerator
from ganstudio.runtime.digit_classifier import classifier_for
from ganstudio.runtime.directions import check_attribute_direction, find_directions

MODEL = shipped_model_path("mnist")


@pytest.mark.slow
@pytest.mark.skipif(not MODEL.is_file(), reason="the shipped MNIST generator is missing")
def test_ink_thickens_the_digit_and_keeps_it_on_200_fresh_seeds() -> None:
    backend = OnnxGenerator(MODEL, intra_op_threads=2)
    classifier = classifier_for(backend.info)
    assert classifier is not None
    directions = find_directions(backend, "", classifier)
    assert len([d for d in directions.directions if d.kind == "pca"]) == 10
    assert [d.name for d in directions.directions if d.kind == "class"] == [f"toward {i}" for i in range(10)]
    ink = directions.get("ink")
    assert ink is not None
    check = check_attribute_direction(backend, classifier, ink.vector, "ink", seeds=200)
    assert check.seeds == 200
    assert check.raises_fraction >= 0.95, check.describe()
    assert check.class_keep >= 0.90, check.describe()
