"""Named directions in the runtime layer: pixel attributes, the fits, discovery on a generator whose
directions are known, the JSON file and its checks, and the per-model cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ganstudio.runtime.attributes import measure
from ganstudio.runtime.direction_cache import cache_path, directions_for
from ganstudio.runtime.direction_set import (
    MAX_FILE_BYTES,
    Direction,
    DirectionFileError,
    DirectionSet,
    load_directions,
    save_directions,
)
from ganstudio.runtime.directions import DiscoverySettings, find_directions, fit_directions, top_components
from tests.runtime.fake_generator import BarGenerator

FAST = DiscoverySettings(fit_samples=400, report_seeds=32)


def _line(angle_cols_per_row: float, thickness: int = 1) -> np.ndarray:
    image = np.zeros((1, 1, 28, 28), np.float32)
    for row in range(6, 22):
        col = round(14 + angle_cols_per_row * (14 - row))  # rows count down: the top leans right if > 0
        image[0, 0, row, col : col + thickness] = 1.0
    return image


def test_attributes_follow_the_pixels() -> None:
    thin, thick = measure(_line(0.0, 1)), measure(_line(0.0, 3))
    assert thick["ink"][0] > thin["ink"][0]
    assert measure(_line(0.4))["slant"][0] > 0.3 > measure(_line(0.0))["slant"][0] > -0.01
    assert measure(_line(-0.4))["slant"][0] < -0.3
    wide = np.zeros((1, 1, 28, 28), np.float32)
    wide[0, 0, 12:16, 4:24] = 1
    tall = wide.transpose(0, 1, 3, 2).copy()
    assert measure(wide)["width"][0] > measure(tall)["width"][0]
    assert measure(tall)["height"][0] > measure(wide)["height"][0]


def test_fit_directions_recovers_a_planted_linear_dependence() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((500, 8))
    truth = np.array([0.0, 3.0, 0.0, -4.0, 0.0, 0.0, 0.0, 0.0]) / 5.0
    target = z @ truth + 0.05 * rng.standard_normal(500) + 7.0
    found, flat = fit_directions(z, np.stack([target, np.full(500, 2.0)], axis=1))
    assert flat is None  # a target that z does not move has no direction
    assert found is not None and np.linalg.norm(found) == pytest.approx(1.0, abs=1e-6)
    assert float(found @ truth) > 0.999


def test_top_components_match_a_full_svd() -> None:
    rng = np.random.default_rng(1)
    spectrum = np.concatenate([[10.0, 8.0, 6.0, 4.0, 3.0], np.linspace(1.0, 0.1, 35)])  # gaps, as images have
    x = rng.standard_normal((300, 40)) @ np.diag(spectrum) @ np.linalg.qr(rng.standard_normal((40, 40)))[0]
    x -= x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    ours = top_components(x, 5, seed=0)
    for k in range(5):
        assert abs(float(ours[k] @ vt[k])) > 0.999


def test_discovery_finds_the_directions_a_generator_is_built_from() -> None:
    backend = BarGenerator()
    directions = find_directions(backend, "ab" * 32, classifier=None, settings=FAST)
    kinds = [d.kind for d in directions.directions]
    assert kinds.count("pca") == 10 and "class" not in kinds
    attributes = [d.name for d in directions.directions if d.kind == "attribute"]
    assert attributes == ["ink", "height"]  # a bar never slants, and its width never changes
    ink = directions.get("ink")
    assert ink is not None and ink.report is not None
    # ink is brightness (z[0]) times length (z[2]); nothing else in z changes it
    assert float(ink.vector[0]) > 0.5 and float(ink.vector[0] ** 2 + ink.vector[2] ** 2) > 0.98
    assert ink.report.raises_fraction == 1.0 and np.isnan(ink.report.class_keep)
    assert ink.report.measures == "ink" and ink.report.change_per_unit > 0
    top_two = np.abs(np.stack([directions.get("PC1").vector, directions.get("PC2").vector]))  # type: ignore[union-attr]
    assert set(top_two.argmax(axis=1)) <= {0, 1, 2}  # the dimensions that change the picture
    for d in directions.directions:
        assert np.linalg.norm(d.vector) == pytest.approx(1.0, abs=1e-5)


def test_a_direction_set_round_trips_through_json(tmp_path: Path) -> None:
    directions = find_directions(BarGenerator(), "cd" * 32, classifier=None, settings=FAST)
    path = tmp_path / "dirs.json"
    save_directions(path, directions)
    document = json.loads(path.read_text())
    assert document["model_sha256"] == "cd" * 32
    assert {"name", "kind", "vector"} <= set(document["directions"][0])
    loaded = load_directions(path, latent_dim=6)
    assert loaded.names() == directions.names()
    np.testing.assert_array_equal(loaded.matrix(), directions.matrix())  # a found set is already canonical
    assert loaded.get("ink").report == directions.get("ink").report  # type: ignore[union-attr]


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    return path


VALID = {"model_sha256": "0" * 64, "directions": [{"name": "a", "kind": "pca", "vector": [1.0, 0.0]}]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model_sha256": "xyz"}, "model_sha256"),
        ({"directions": []}, "non-empty list"),
        ({"directions": [{"name": "a", "kind": "pca", "vector": [3.0, 4.0]}]}, "unit length"),
        ({"directions": [{"name": "a", "kind": "magic", "vector": [1.0, 0.0]}]}, "kind"),
        ({"directions": [{"name": "", "kind": "pca", "vector": [1.0, 0.0]}]}, "name"),
        ({"directions": [{"name": "a", "kind": "pca", "vector": [1.0, "x"]}]}, "numbers only"),
        ({"directions": [VALID["directions"][0], VALID["directions"][0]]}, "used twice"),
        ({"directions": [*VALID["directions"], {"name": "b", "kind": "pca", "vector": [1.0, 0, 0]}]}, "latent size"),
    ],
)
def test_loading_refuses_malformed_sets_with_a_reason(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(DirectionFileError, match=message):
        load_directions(_write(tmp_path, {**VALID, **change}))


def test_loading_checks_the_latent_size_json_and_file_size(tmp_path: Path) -> None:
    assert load_directions(_write(tmp_path, VALID), latent_dim=2).names() == ["a"]
    with pytest.raises(DirectionFileError, match="latent size is 3"):
        load_directions(_write(tmp_path, VALID), latent_dim=3)
    broken = tmp_path / "broken.json"
    broken.write_text('{"model_sha256": ')
    with pytest.raises(DirectionFileError, match="not valid JSON"):
        load_directions(broken)
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with pytest.raises(DirectionFileError, match="at most 8 MB"):
        load_directions(huge)


def test_sets_are_cached_per_model_file_and_a_damaged_cache_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("ganstudio.runtime.direction_cache.find_directions", _fast_find)
    model = tmp_path / "model.onnx"
    model.write_bytes(b"weights")
    backend = BarGenerator()
    first, cached = directions_for(backend, model)
    assert not cached and len(first.model_sha256) == 64
    calls = backend.calls
    again, cached = directions_for(backend, model)
    assert cached and backend.calls == calls and again.names() == first.names()
    cache_path(first.model_sha256).write_text("{ damaged")
    _, cached = directions_for(backend, model)
    assert not cached and backend.calls > calls
    model.write_bytes(b"other weights")  # another file: another hash, another set
    other, cached = directions_for(backend, model)
    assert not cached and other.model_sha256 != first.model_sha256


def _fast_find(backend, sha, classifier, progress=None) -> DirectionSet:
    return find_directions(backend, sha, classifier, FAST, progress)


def test_a_live_model_without_a_file_is_never_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("ganstudio.runtime.direction_cache.find_directions", _fast_find)
    directions, cached = directions_for(BarGenerator(), None)
    assert not cached and directions.model_sha256 == "" and not (tmp_path / "cache").exists()


def test_direction_is_a_plain_value() -> None:
    d = Direction("a", "pca", np.ones(2, np.float32) / np.sqrt(2))
    assert DirectionSet("", (d,)).latent_dim == 2


def test_a_conditional_model_gets_no_class_directions_and_every_call_has_labels() -> None:
    from tests.runtime.fake_generator import ConditionalBars

    backend = ConditionalBars()
    directions = find_directions(backend, "", classifier=None, settings=FAST)
    assert "class" not in {d.kind for d in directions.directions} and directions.get("ink") is not None
    assert {int(label) for labels in backend.labels_seen for label in labels} == {0, 1, 2}


class _ConstantReader:
    """A classifier that reads every image as class 0: there is no class to keep."""

    num_classes = 10

    def logits(self, images: np.ndarray) -> np.ndarray:
        out = np.zeros((len(images), 10))
        out[:, 0] = 5.0
        return out


def test_a_classifier_that_never_changes_its_mind_leaves_the_plain_fits() -> None:
    directions = find_directions(BarGenerator(), "", classifier=_ConstantReader(), settings=FAST)  # type: ignore[arg-type]
    ink = directions.get("ink")
    assert ink is not None and ink.report is not None and ink.report.class_keep == 1.0
    assert "class" not in {d.kind for d in directions.directions}  # constant log-probabilities: nothing to fit
