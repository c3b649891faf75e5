"""ONNX export: torch/onnxruntime parity, the one-file contract, metadata, and failure safety."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from ganstudio import __version__
from ganstudio.core import export as export_module
from ganstudio.core.config import ModelConfig, TrainConfig, config_from_dict
from ganstudio.core.export import ExportError, export_onnx
from ganstudio.core.networks import build_generator, init_weights

TINY = dict(latent_dim=8, g_width=8, d_width=8)
TRAIN = TrainConfig(dataset="fashion-mnist", loss="wgan-gp", steps=10)


def _generator(cfg: ModelConfig, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    g = build_generator(cfg)
    init_weights(g)
    # Non-trivial BatchNorm statistics so folding BN into the convs is really exercised.
    for m in g.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
    return g.eval()


def _torch_reference(g: torch.nn.Module, z: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    with torch.no_grad():
        args = (torch.from_numpy(z),) if labels is None else (torch.from_numpy(z), torch.from_numpy(labels))
        return ((g(*args) + 1) / 2).clamp(0, 1).numpy()


def _dims(value_info) -> list:
    return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]


CASES = [
    ModelConfig(arch="mlp", **TINY),
    ModelConfig(arch="mlp", num_classes=3, class_names=("cat", "dog", "eel"), **TINY),
    ModelConfig(arch="dcgan", **TINY),
    ModelConfig(arch="dcgan", num_classes=4, **TINY),
    ModelConfig(arch="dcgan", image_size=32, channels=3, num_classes=2, **TINY),
]


@pytest.mark.slow
@pytest.mark.parametrize("cfg", CASES, ids=lambda c: f"{c.arch}-{c.image_size}px-{c.channels}ch-{c.num_classes}cls")
def test_export_parity_and_contract(tmp_path: Path, cfg: ModelConfig) -> None:
    g = _generator(cfg)
    path = export_onnx(g, cfg, TRAIN, tmp_path / "model.onnx")
    assert path == tmp_path / "model.onnx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # no .data file, no temp left over

    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    inputs = {i.name: i for i in model.graph.input}
    assert list(inputs) == (["z", "label"] if cfg.conditional else ["z"])
    assert inputs["z"].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    z_dims = _dims(inputs["z"])
    assert isinstance(z_dims[0], str) and z_dims[1] == cfg.latent_dim  # symbolic batch, fixed latent size
    if cfg.conditional:
        assert inputs["label"].type.tensor_type.elem_type == onnx.TensorProto.INT64
        assert _dims(inputs["label"]) == [z_dims[0]]
    (output,) = model.graph.output
    assert output.name == "image" and output.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert _dims(output) == [z_dims[0], cfg.channels, cfg.image_size, cfg.image_size]
    assert "BatchNormalization" not in {n.op_type for n in model.graph.node}  # folded into Gemm/ConvTranspose

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    for n in (1, 5):  # neither is the traced batch size: the batch axis really is dynamic
        z = rng.standard_normal((n, cfg.latent_dim)).astype(np.float32)
        labels = rng.integers(0, cfg.num_classes, n).astype(np.int64) if cfg.conditional else None
        feeds = {"z": z} if labels is None else {"z": z, "label": labels}
        (image,) = session.run(None, feeds)
        assert image.shape == (n, cfg.channels, cfg.image_size, cfg.image_size) and image.dtype == np.float32
        assert image.min() >= 0.0 and image.max() <= 1.0
        np.testing.assert_allclose(image, _torch_reference(g, z, labels), atol=1e-4, rtol=0)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, ModelConfig, torch.nn.Module]:
    cfg = ModelConfig(arch="dcgan", num_classes=3, class_names=("a", "b", "c"), **TINY)
    g = _generator(cfg, seed=1)
    path = export_onnx(
        g,
        cfg,
        TRAIN,
        tmp_path_factory.mktemp("exported") / "sub" / "g.onnx",
        extra_metadata={"steps": "10", "images_seen": "640", "minutes": "0.1"},
    )
    return path, cfg, g


def test_metadata_props(exported) -> None:
    path, cfg, _ = exported
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert meta["latent_dim"] == "8" and meta["num_classes"] == "3"
    assert json.loads(meta["class_names"]) == ["a", "b", "c"]
    assert meta["image_size"] == "28" and meta["channels"] == "1"
    assert meta["dataset"] == "fashion-mnist" and meta["arch"] == "dcgan" and meta["loss"] == "wgan-gp"
    assert meta["ganstudio_version"] == __version__
    assert config_from_dict(ModelConfig, json.loads(meta["model_config"])) == cfg
    assert config_from_dict(TrainConfig, json.loads(meta["train_config"])) == TRAIN
    assert (meta["steps"], meta["images_seen"], meta["minutes"]) == ("10", "640", "0.1")


@pytest.mark.slow
def test_unconditional_metadata_and_no_train_config(tmp_path: Path) -> None:
    cfg = ModelConfig(arch="mlp", **TINY)
    meta = {
        p.key: p.value
        for p in onnx.load(str(export_onnx(_generator(cfg), cfg, None, tmp_path / "m.onnx"))).metadata_props
    }
    assert meta["num_classes"] == "0" and json.loads(meta["class_names"]) == []
    assert meta["train_config"] == "null" and meta["dataset"] == "" and meta["loss"] == ""


def test_file_is_self_contained_after_moving_its_folder(exported, tmp_path: Path) -> None:
    path, cfg, _ = exported
    moved = shutil.copytree(path.parent, tmp_path / "elsewhere")
    shutil.rmtree(path.parent)  # the original folder is gone, so nothing can be read from next to it
    try:
        model = onnx.load(str(Path(moved) / path.name))
        assert all(t.data_location != onnx.TensorProto.EXTERNAL for t in model.graph.initializer)
        session = ort.InferenceSession(str(Path(moved) / path.name), providers=["CPUExecutionProvider"])
        (image,) = session.run(
            None, {"z": np.zeros((2, cfg.latent_dim), np.float32), "label": np.array([0, 2], np.int64)}
        )
        assert image.shape == (2, 1, 28, 28)
    finally:
        shutil.copytree(moved, path.parent)  # later tests in this module reuse the fixture


@pytest.mark.slow
def test_callers_module_is_untouched(tmp_path: Path) -> None:
    cfg = ModelConfig(arch="dcgan", **TINY)
    g = _generator(cfg).train()
    before = {k: v.clone() for k, v in g.state_dict().items()}
    params = [id(p) for p in g.parameters()]
    with torch.no_grad():  # the trainer may call export from inside no_grad
        export_onnx(g, cfg, TRAIN, tmp_path / "m.onnx")
    assert g.training
    assert [id(p) for p in g.parameters()] == params
    assert all(p.device.type == "cpu" and p.requires_grad for p in g.parameters())
    for key, value in g.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_reserved_metadata_keys_are_refused(tmp_path: Path) -> None:
    cfg = ModelConfig(arch="mlp", **TINY)
    with pytest.raises(ExportError, match="latent_dim"):
        export_onnx(_generator(cfg), cfg, TRAIN, tmp_path / "m.onnx", extra_metadata={"latent_dim": "3"})
    assert not (tmp_path / "m.onnx").exists()


def _write_existing(path: Path) -> bytes:
    content = b"previous model, must survive a failed export"
    path.write_bytes(content)
    return content


@pytest.mark.slow
def test_self_check_catches_a_mismatch_and_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    cfg = ModelConfig(arch="mlp", num_classes=2, **TINY)
    target = tmp_path / "model.onnx"
    old = _write_existing(target)
    real_run = export_module._run_onnxruntime
    monkeypatch.setattr(export_module, "_run_onnxruntime", lambda data, feeds: real_run(data, feeds) + 0.01)
    with pytest.raises(ExportError, match=r"disagree by 0\.01"):
        export_onnx(_generator(cfg), cfg, TRAIN, target)
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


@pytest.mark.slow
def test_negative_tolerance_always_fails(tmp_path: Path) -> None:
    cfg = ModelConfig(arch="mlp", **TINY)
    with pytest.raises(ExportError, match="tolerance"):
        export_onnx(_generator(cfg), cfg, TRAIN, tmp_path / "model.onnx", atol=-1.0)
    assert not (tmp_path / "model.onnx").exists()


@pytest.mark.slow
def test_write_failure_names_the_path_and_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    cfg = ModelConfig(arch="mlp", **TINY)
    target = tmp_path / "model.onnx"
    old = _write_existing(target)

    def disk_full(tmp: Path, data: bytes) -> None:
        Path(tmp).write_bytes(data[: len(data) // 2])  # a half-written temp file, as a full disk leaves it
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export_module, "_write_bytes", disk_full)
    with pytest.raises(ExportError, match=f"could not write {target}: disk full") as info:
        export_onnx(_generator(cfg), cfg, TRAIN, target)
    assert str(target) in str(info.value)
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # the temp file was removed


def test_unwritable_location_gives_export_error(tmp_path: Path) -> None:
    cfg = ModelConfig(arch="mlp", **TINY)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="could not write"):
        export_onnx(_generator(cfg), cfg, TRAIN, blocker / "model.onnx")


@pytest.mark.slow
def test_diverged_generator_is_refused(tmp_path: Path) -> None:
    cfg = ModelConfig(arch="mlp", **TINY)
    g = _generator(cfg)
    with torch.no_grad():
        g.net[0].weight.fill_(float("nan"))
    with pytest.raises(ExportError, match="NaN"):
        export_onnx(g, cfg, TRAIN, tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()


def test_an_export_prints_nothing(tmp_path: Path, capfd) -> None:
    """The exporter's INFO lines (passes applied, nodes removed) stay out of a terminal that shows INFO logs."""
    import logging
    import sys

    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        cfg = ModelConfig(arch="mlp", latent_dim=8, g_width=8, g_layers=2)
        export_onnx(build_generator(cfg).eval(), cfg, None, tmp_path / "g.onnx")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    out, err = capfd.readouterr()
    assert (tmp_path / "g.onnx").is_file()
    assert out == "" and err == "", (out + err)[:2000]
    assert logging.getLogger("onnx_ir").level == logging.NOTSET  # the exporter's loggers are put back
