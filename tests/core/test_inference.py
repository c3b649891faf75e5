"""Inference backends: contract validation on load, input validation, torch/onnxruntime agreement."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper

from ganstudio.core.config import ModelConfig, TrainConfig
from ganstudio.core.export import export_onnx
from ganstudio.core.networks import build_generator, init_weights
from ganstudio.core.torch_backend import TorchGenerator, model_info_from_configs
from ganstudio.runtime.backends import GeneratorBackend, OnnxGenerator, blend_classes, open_generator
from ganstudio.runtime.model_info import ModelLoadError

ROOT = Path(__file__).resolve().parents[2]
TINY = dict(latent_dim=8, g_width=8, d_width=8)
TRAIN = TrainConfig(dataset="mnist", loss="hinge")
COND = ModelConfig(arch="dcgan", num_classes=3, class_names=("zero", "one", "two"), **TINY)
UNCOND = ModelConfig(arch="mlp", **TINY)


def _generator(cfg: ModelConfig) -> torch.nn.Module:
    torch.manual_seed(0)
    g = build_generator(cfg)
    init_weights(g)
    return g.eval()


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, tuple[Path, ModelConfig, torch.nn.Module]]:
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for name, cfg in (("cond", COND), ("uncond", UNCOND)):
        g = _generator(cfg)
        path = export_onnx(
            g,
            cfg,
            TRAIN,
            folder / f"{name}.onnx",
            extra_metadata={"steps": "12", "images_seen": "768", "minutes": "0.2"},
        )
        out[name] = (path, cfg, g)
    return out


def _save_model(
    tmp_path: Path, graph: onnx.GraphProto, name: str = "foreign.onnx", metadata: dict[str, str] | None = None
) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        model.metadata_props.add(key=key, value=value)
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


# -- loading our own exports ----------------------------------------------------------------------------------


def test_onnx_info_comes_from_metadata(models) -> None:
    path, _, _ = models["cond"]
    with OnnxGenerator(path) as gen:
        assert isinstance(gen, GeneratorBackend)
        info = gen.info
        assert (info.latent_dim, info.num_classes, info.image_size, info.channels) == (8, 3, 28, 1)
        assert info.class_names == ("zero", "one", "two") and info.conditional
        assert (info.dataset, info.arch, info.loss, info.backend) == ("mnist", "dcgan", "hinge", "onnxruntime")
        assert info.source == str(path)
        assert info.model_config is not None and info.model_config["g_width"] == 8
        assert info.train_config is not None and info.train_config["loss"] == "hinge"
        assert info.summary["steps"] == "12" and info.summary["images_seen"] == "768"
        assert "latent_dim" not in info.summary
        assert gen.providers == ["CPUExecutionProvider"]
        text = info.describe()
        assert "dcgan" in text and "zero, one, two" in text and "28x28 grayscale" in text and "768" in text


@pytest.mark.parametrize("name", ["cond", "uncond"])
def test_onnx_and_torch_backends_agree(models, name: str) -> None:
    path, cfg, g = models[name]
    onnx_gen = OnnxGenerator(path)
    torch_gen = TorchGenerator(copy.deepcopy(g), model_info_from_configs(cfg, TRAIN))
    rng = np.random.default_rng(0)
    for n in (1, 4):
        z = rng.standard_normal((n, cfg.latent_dim))  # float64 on purpose: generate() coerces to float32
        labels = rng.integers(0, cfg.num_classes, n).astype(np.int32) if cfg.conditional else None
        a, b = onnx_gen.generate(z, labels), torch_gen.generate(z, labels)
        assert a.shape == b.shape == (n, cfg.channels, cfg.image_size, cfg.image_size)
        assert a.dtype == b.dtype == np.float32
        assert a.min() >= 0 and a.max() <= 1
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)
    onnx_gen.close()
    torch_gen.close()
    with pytest.raises(RuntimeError, match="closed"):
        onnx_gen.generate(np.zeros((1, cfg.latent_dim), np.float32), 0 if cfg.conditional else None)


def test_scalar_label_applies_to_the_batch(models) -> None:
    path, cfg, _ = models["cond"]
    gen = OnnxGenerator(path)
    z = np.random.default_rng(1).standard_normal((3, cfg.latent_dim)).astype(np.float32)
    np.testing.assert_array_equal(gen.generate(z, 2), gen.generate(z, np.array([2, 2, 2])))


# -- generate() input validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("z_shape", [(2, 7), (8,), (0, 8), (2, 8, 1)])
def test_wrong_z_shape_is_a_value_error(models, z_shape) -> None:
    gen = OnnxGenerator(models["uncond"][0])
    with pytest.raises(ValueError, match=r"z must have shape \(N, 8\)"):
        gen.generate(np.zeros(z_shape, np.float32))


def test_bad_z_values_are_value_errors(models) -> None:
    gen = OnnxGenerator(models["uncond"][0])
    with pytest.raises(ValueError, match="NaN"):
        gen.generate(np.full((1, 8), np.nan, np.float32))
    with pytest.raises(ValueError, match="numeric"):
        gen.generate([["a"] * 8])


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.array([0, 3]), "label 3 is out of range"),
        (np.array([-1, 0]), "label -1 is out of range"),
        (np.array([0.5, 1.0]), "whole numbers"),
        (np.array([0, 1, 2]), r"shape \(2,\)"),
        (np.array(["a", "b"]), "integers"),
        (None, "class-conditional"),
    ],
)
def test_bad_labels_are_value_errors(models, labels, message: str) -> None:
    gen = OnnxGenerator(models["cond"][0])
    with pytest.raises(ValueError, match=message):
        gen.generate(np.zeros((2, 8), np.float32), labels)


def test_labels_for_an_unconditional_model_are_refused(models) -> None:
    gen = OnnxGenerator(models["uncond"][0])
    with pytest.raises(ValueError, match="unconditional"):
        gen.generate(np.zeros((2, 8), np.float32), np.array([0, 1]))


# -- foreign, damaged and missing files ---------------------------------------------------------------------------


def test_foreign_onnx_names_its_inputs(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "foreign",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
    )
    path = _save_model(tmp_path, graph)
    with pytest.raises(ModelLoadError, match=r"input 'z' missing: this ONNX file has inputs \['x'\]") as info:
        OnnxGenerator(path)
    assert "z [N, latent_dim]" in str(info.value) and "\n" not in str(info.value)


def test_wrong_output_rank_is_refused(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Sigmoid", ["z"], ["image"])],
        "flat",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 4])],
    )
    with pytest.raises(ModelLoadError, match=r"\[N, C, H, W\]"):
        OnnxGenerator(_save_model(tmp_path, graph))


def test_wrong_input_types_are_refused(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Cast", ["z"], ["image"], to=TensorProto.FLOAT)],
        "int_z",
        [helper.make_tensor_value_info("z", TensorProto.INT32, ["N", 4])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 4])],
    )
    with pytest.raises(ModelLoadError, match="input 'z' must be float32, this file's is int32"):
        OnnxGenerator(_save_model(tmp_path, graph))


def _reshape_model(
    tmp_path: Path, out_dims: list, metadata: dict[str, str] | None = None, with_label: bool = False
) -> Path:
    """z [N, 4] -> sigmoid -> image [N, 1, 2, 2], optionally with an (unused-by-maths) label input."""
    shape = helper.make_tensor("shape", TensorProto.INT64, [4], [-1, 1, 2, 2])
    nodes = [helper.make_node("Sigmoid", ["z"], ["s"]), helper.make_node("Reshape", ["s", "shape"], ["image"])]
    inputs = [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 4])]
    if with_label:
        inputs.append(helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]))
    graph = helper.make_graph(
        nodes,
        "reshape",
        inputs,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, out_dims)],
        initializer=[shape],
    )
    return _save_model(tmp_path, graph, metadata=metadata)


@pytest.mark.parametrize("out_dims", [["N", 1, 2, 2], ["N", "C", "H", "W"]])
def test_missing_metadata_is_inferred_from_shapes(tmp_path: Path, out_dims: list) -> None:
    gen = OnnxGenerator(_reshape_model(tmp_path, out_dims))  # symbolic C/H/W: found by running once
    info = gen.info
    assert (info.latent_dim, info.num_classes, info.image_size, info.channels) == (4, 0, 2, 1)
    assert info.arch == "" and info.summary == {} and info.model_config is None
    assert gen.generate(np.zeros((3, 4), np.float32)).shape == (3, 1, 2, 2)
    assert "unknown" in info.describe()


def test_metadata_contradicting_the_graph_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="latent_dim=5"):
        OnnxGenerator(_reshape_model(tmp_path, ["N", 1, 2, 2], {"latent_dim": "5"}))
    with pytest.raises(ModelLoadError, match="channels=3"):
        OnnxGenerator(_reshape_model(tmp_path, ["N", 1, 2, 2], {"channels": "3"}))
    with pytest.raises(ModelLoadError, match="no 'label' input"):
        OnnxGenerator(_reshape_model(tmp_path, ["N", 1, 2, 2], {"num_classes": "10"}))
    with pytest.raises(ModelLoadError, match="num_classes"):
        OnnxGenerator(_reshape_model(tmp_path, ["N", 1, 2, 2], with_label=True))
    with pytest.raises(ModelLoadError, match="not a whole number"):
        OnnxGenerator(_reshape_model(tmp_path, ["N", 1, 2, 2], {"latent_dim": "four"}))


def test_truncated_onnx_is_a_load_error(models, tmp_path: Path) -> None:
    data = models["cond"][0].read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="damaged or not an ONNX model") as info:
        OnnxGenerator(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("content", [np.random.default_rng(0).bytes(4096), b"hello, not a model", b""])
def test_non_onnx_bytes_are_a_load_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "junk.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelLoadError):
        open_generator(path)


def test_missing_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="file not found"):
        open_generator(tmp_path / "nope.onnx")
    with pytest.raises(ModelLoadError, match="file not found"):
        OnnxGenerator(tmp_path / "nope.onnx")
    other = tmp_path / "weights.pt"
    other.write_bytes(b"\x80\x04")
    with pytest.raises(ModelLoadError, match=r"not a GAN Studio model: expected \.onnx, \.safetensors or a run folder"):
        open_generator(other)
    with pytest.raises(ValueError, match="backend"):
        open_generator(other, backend="tensorflow")


def test_open_generator_dispatch(models, tmp_path: Path) -> None:
    path = models["uncond"][0]
    assert isinstance(open_generator(path), OnnxGenerator)
    with pytest.raises(ModelLoadError, match="onnxruntime, not torch"):
        open_generator(path, backend="torch")
    run = tmp_path / "run"
    run.mkdir()
    (run / "generator.onnx").write_bytes(path.read_bytes())
    gen = open_generator(run)
    assert isinstance(gen, OnnxGenerator) and gen.info.source == str(run / "generator.onnx")
    checkpoint = tmp_path / "x.safetensors"
    checkpoint.write_bytes(b"x")
    with pytest.raises(ModelLoadError, match="is a checkpoint"):
        open_generator(checkpoint, backend="onnxruntime")


def test_importing_the_backends_does_not_import_torch() -> None:
    code = "import ganstudio.runtime.backends, sys; assert 'torch' not in sys.modules, 'torch was imported'"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# -- checkpoints through the torch backend -------------------------------------------------------------------------


@pytest.fixture
def checkpoint_module():
    module = pytest.importorskip("ganstudio.core.checkpoint")
    if not all(hasattr(module, name) for name in ("load_generator", "save_checkpoint", "CheckpointError")):
        pytest.skip("ganstudio.core.checkpoint does not provide load_generator/save_checkpoint yet")
    return module


def _write_checkpoint(checkpoint_module, folder: Path, cfg: ModelConfig) -> tuple[Path, torch.nn.Module]:
    g, ema = _generator(cfg), _generator(cfg)
    with torch.no_grad():
        for p in ema.parameters():
            p.add_(0.05)  # EMA weights differ from G's, so we can tell which were loaded
    tensors = {f"G.{k}": v for k, v in g.state_dict().items()}
    tensors.update({f"G_ema.{k}": v for k, v in ema.state_dict().items()})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / checkpoint_module.CHECKPOINT_NAME
    state = {"step": 3, "images_seen": 192, "elapsed_seconds": 6.0}
    checkpoint_module.save_checkpoint(path, cfg, TRAIN, state, tensors)
    return path, ema


def test_checkpoint_runs_on_the_torch_backend(checkpoint_module, tmp_path: Path) -> None:
    path, ema = _write_checkpoint(checkpoint_module, tmp_path / "run", COND)
    for source in (path, path.parent):  # the file itself, and a run folder without generator.onnx
        gen = open_generator(source)
        assert isinstance(gen, TorchGenerator) and gen.info.backend == "torch"
        assert gen.info.num_classes == 3 and gen.info.class_names == ("zero", "one", "two")
        assert gen.info.summary.get("images_seen") == "192"
        z = np.random.default_rng(0).standard_normal((2, 8)).astype(np.float32)
        with torch.no_grad():
            expected = ((ema(torch.from_numpy(z), torch.tensor([0, 2])) + 1) / 2).clamp(0, 1).numpy()
        np.testing.assert_allclose(gen.generate(z, np.array([0, 2])), expected, atol=1e-6)


def test_run_folder_prefers_onnx_unless_torch_is_asked(checkpoint_module, models, tmp_path: Path) -> None:
    path, _ = _write_checkpoint(checkpoint_module, tmp_path / "run", COND)
    (path.parent / "generator.onnx").write_bytes(models["cond"][0].read_bytes())
    assert isinstance(open_generator(path.parent), OnnxGenerator)
    assert isinstance(open_generator(path.parent, backend="torch"), TorchGenerator)


def test_damaged_checkpoint_is_a_load_error(checkpoint_module, tmp_path: Path) -> None:
    path = tmp_path / "broken.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ModelLoadError):
        open_generator(path)
    empty_run = tmp_path / "empty_run"
    empty_run.mkdir()
    with pytest.raises(ModelLoadError):
        open_generator(empty_run)
    with pytest.raises(ModelLoadError, match=r"no generator\.onnx"):
        open_generator(empty_run, backend="onnxruntime")


# -- optional capabilities ---------------------------------------------------------------------------------------


def test_class_blend_is_a_declared_capability(models) -> None:
    path, cfg, g = models["cond"]
    onnx_gen = OnnxGenerator(path)
    torch_gen = TorchGenerator(copy.deepcopy(g), model_info_from_configs(cfg, TRAIN))
    assert onnx_gen.supports_class_blend is False and torch_gen.supports_class_blend is True
    assert isinstance(torch_gen, GeneratorBackend)
    z = np.random.default_rng(2).standard_normal((2, cfg.latent_dim)).astype(np.float32)
    labels = np.array([0, 1])
    with pytest.raises(NotImplementedError):
        onnx_gen.generate_blend(z, labels, labels, 0.5)
    faded, mode = blend_classes(onnx_gen, z, labels, 2, 0.25)
    assert mode == "crossfade"
    expected = 0.75 * onnx_gen.generate(z, labels) + 0.25 * onnx_gen.generate(z, np.array([2, 2]))
    np.testing.assert_allclose(faded, expected, atol=1e-6)
    morphed, mode = blend_classes(torch_gen, z, labels, 2, 1.0)
    assert mode == "embedding"  # t = 1 is exactly class 2
    np.testing.assert_allclose(morphed, torch_gen.generate(z, np.array([2, 2])), atol=1e-5)
    _, uncond_cfg, ug = models["uncond"]
    assert TorchGenerator(copy.deepcopy(ug), model_info_from_configs(uncond_cfg, TRAIN)).supports_class_blend is False


def test_model_info_says_where_the_model_came_from(checkpoint_module, models, tmp_path: Path) -> None:
    from ganstudio.core.events import GeneratorSnapshot
    from ganstudio.core.torch_backend import generator_from_snapshot

    assert OnnxGenerator(models["uncond"][0]).info.source_kind == "file"
    path, _ = _write_checkpoint(checkpoint_module, tmp_path / "run", COND)
    checkpoint = open_generator(path)
    assert checkpoint.info.source_kind == "checkpoint" and not checkpoint.info.is_live
    g = models["cond"][2]
    snapshot = GeneratorSnapshot(step=5, model_config=COND, weights={k: v.numpy() for k, v in g.state_dict().items()})
    live = generator_from_snapshot(snapshot)
    assert live.info.source_kind == "live" and live.info.is_live
