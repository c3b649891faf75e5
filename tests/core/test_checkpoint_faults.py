"""Checkpoints under faults: NaN weights, a full disk, a read-only folder, flipped bytes and crafted headers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganstudio.core import checkpoint as ckpt
from ganstudio.core.checkpoint import CheckpointError, load_checkpoint, load_generator
from ganstudio.core.events import CheckpointSaved
from ganstudio.core.training import Trainer
from ganstudio.paths import models_dir
from tests.core.helpers import tiny_dataset, tiny_model, tiny_train

ROOT = Path(__file__).resolve().parents[2]


def _saved_run(run: Path, steps: int = 2) -> Trainer:
    trainer = Trainer(tiny_model(), tiny_train(steps=steps, checkpoint_every=1000), tiny_dataset(64), run)
    list(trainer.run(export_on_finish=False))
    return trainer


def _data_start(path: Path) -> int:
    return 8 + int.from_bytes(path.read_bytes()[:8], "little")


# ------------------------------------------------------------------------------------------- NaN weights
def test_nan_weights_on_a_checkpoint_step_keep_the_last_good_checkpoint(tmp_path, monkeypatch):
    """Finite losses, NaN weights: the update on step 6 poisons G and step 6 is a checkpoint step."""
    run = tmp_path / "run"
    trainer = Trainer(tiny_model(), tiny_train(steps=10, checkpoint_every=3), tiny_dataset(64), run)
    original = trainer._train_step

    def poisoned():
        losses = original()
        if trainer.step == 5:  # the step being taken is the 6th
            with torch.no_grad():
                next(trainer.generator.parameters()).fill_(float("nan"))
        return losses

    monkeypatch.setattr(trainer, "_train_step", poisoned)
    good = None
    events = list(trainer.run(export_on_finish=False))
    for event in events:
        if isinstance(event, CheckpointSaved):
            good = event
    finished = events[-1]
    assert finished.reason == "diverged"
    assert good is not None and good.step == 3
    assert "NaN or infinite" in finished.message and "step 3" in finished.message
    assert "were not saved" in finished.message
    assert load_checkpoint(run).state["step"] == 3
    assert json.loads((run / "run.json").read_text())["state"]["step"] == 3
    assert finished.checkpoint_path == str(run / "checkpoint.safetensors")


def _nan_checkpoint(tmp_path: Path) -> Path:
    trainer = _saved_run(tmp_path / "run")
    data = load_checkpoint(tmp_path / "run")
    tensors = {
        k: (v.fill_(float("nan")) if k.startswith("G") and v.is_floating_point() else v)
        for k, v in data.tensors.items()
    }
    path = tmp_path / "nan.safetensors"
    ckpt.save_checkpoint(path, trainer.model_config, trainer.train_config, data.state, tensors)
    return path


def test_a_checkpoint_with_nan_weights_is_refused_for_sampling(tmp_path, capsys):
    from ganstudio.cli.main import main

    path = _nan_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="NaN or infinite generator weights"):
        load_generator(path)
    out = tmp_path / "grid.png"
    assert main(["sample", str(path), "--n", "4", "--out", str(out)]) == 1
    assert "NaN or infinite" in capsys.readouterr().err
    assert not out.exists()


# -------------------------------------------------------------------------------------- full or read-only disk
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_disk_full_during_a_save_says_so_and_keeps_the_previous_checkpoint(tmp_path):
    """The temp file is a link to /dev/full, so the write fails with the kernel's own ENOSPC."""
    trainer = _saved_run(tmp_path / "run")
    path = tmp_path / "run" / "checkpoint.safetensors"
    before = path.read_bytes()
    (path.parent / f".checkpoint.safetensors.{os.getpid()}.tmp").symlink_to("/dev/full")
    trainer.step += 1
    with pytest.raises(CheckpointError) as caught:
        trainer.save()
    assert str(caught.value).startswith(f"disk full while saving checkpoint to {path}; the previous checkpoint is kept")
    assert path.read_bytes() == before
    assert not ckpt.temp_checkpoint_files(path.parent)


def test_a_failing_cleanup_does_not_hide_the_save_error(tmp_path):
    """Both the write and the temp file's removal fail (a folder squats on the temp name, as a read-only
    filesystem fails both): the message is the write's, as a CheckpointError."""
    trainer = _saved_run(tmp_path / "run")
    squatter = tmp_path / "run" / f".checkpoint.safetensors.{os.getpid()}.tmp"
    squatter.mkdir()
    (squatter / "keep").write_text("x")
    with pytest.raises(
        CheckpointError, match=r"could not save checkpoint .*Is a directory.*previous checkpoint is kept"
    ):
        trainer.save()


# --------------------------------------------------------------------------------------------- integrity
def test_flipped_bytes_in_the_tensor_data_are_detected(tmp_path):
    _saved_run(tmp_path / "run")
    path = tmp_path / "run" / "checkpoint.safetensors"
    assert load_checkpoint(path).digest_verified
    raw = bytearray(path.read_bytes())
    raw[_data_start(path) + 100] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="does not match the digest"):
        load_checkpoint(path)


def test_checkpoints_without_a_digest_still_load_and_say_so(tmp_path: Path):
    from safetensors import safe_open
    from safetensors.torch import save_file

    from ganstudio.core.checkpoint_header import DIGEST_KEY

    shipped = models_dir() / "mnist.safetensors"
    with safe_open(str(shipped), framework="pt") as f:  # the shipped checkpoint as an older version wrote it
        stored = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open is not iterable)
    assert DIGEST_KEY in stored  # there is a digest to drop
    metadata = {k: v for k, v in stored.items() if k != DIGEST_KEY}
    old = tmp_path / "old.safetensors"
    save_file(tensors, str(old), metadata=metadata)
    _, _, _, summary = load_generator(old)
    assert summary["integrity"].startswith("no digest")
    assert load_generator(shipped)[3]["integrity"] == "digest verified"


# ----------------------------------------------------------------------------------------- crafted headers
def _crafted(path: Path, model_config: dict, tensors: dict[str, list[int]] | None = None) -> Path:
    """A hand-written safetensors file: tiny tensors, any header."""
    tensors = tensors if tensors is not None else {"G.net.0.weight": [2, 2], "D.net.0.weight": [2, 2]}
    header: dict = {}
    offset = 0
    for name, shape in tensors.items():
        size = 4 * shape[0] * shape[1]
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    train = json.loads(ckpt.config_to_json(tiny_train()))
    header["__metadata__"] = {
        "format": "ganstudio-checkpoint",
        "format_version": "1",
        "model_config": json.dumps(model_config),
        "train_config": json.dumps(train),
        "state": json.dumps({"step": 1}),
    }
    text = json.dumps(header).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + bytes(offset))
    return path


HUGE = {"arch": "mlp", "latent_dim": 1024, "g_width": 1024, "d_width": 1024, "g_layers": 4, "image_size": 64,
        "channels": 3}  # fmt: skip

# Peak RSS of this process alone: Linux's VmHWM. getrusage's ru_maxrss is not that: a child started by vfork and
# exec inherits its parent's high-water mark, so under a large pytest process it reports the parent's peak.
PEAK_RSS = """
import resource, sys
from pathlib import Path
from ganstudio.cli.main import main
code = main(sys.argv[1:])
status = Path("/proc/self/status")
if status.exists():
    peak_kb = next(int(line.split()[1]) for line in status.read_text().splitlines() if line.startswith("VmHWM:"))
else:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
print(code, peak_kb // 1024)
"""


@pytest.mark.slow
@pytest.mark.parametrize("command", ["info", "resume"])
def test_a_tiny_crafted_checkpoint_fails_clearly_without_allocating_the_model(tmp_path, command):
    path = _crafted(tmp_path / "crafted.safetensors", HUGE)
    assert path.stat().st_size < 2000
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, command, str(path)], capture_output=True, text=True, env=env, timeout=300
    )
    code, peak_mb = map(int, result.stdout.split())
    assert code == 1, result.stderr
    assert "do not fit the architecture its header describes" in result.stderr
    assert peak_mb < 300, f"peak RSS {peak_mb} MB"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"g_width": "64"}, "model_config.g_width should be int, got str"),
        ({"spectral_norm": 1}, "model_config.spectral_norm should be bool"),
        ({"num_classes": 10**9}, "num_classes must be 0 .unconditional. or 2..1000"),
        ({"class_names": [1, 2]}, "model_config.class_names should be tuple"),
    ],
)
def test_header_types_and_limits_are_checked(tmp_path, change, message):
    path = _crafted(tmp_path / "bad.safetensors", {**json.loads(ckpt.config_to_json(tiny_model())), **change})
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_tensors_outside_the_file_are_refused(tmp_path):
    path = _crafted(tmp_path / "short.safetensors", json.loads(ckpt.config_to_json(tiny_model())))
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(CheckpointError, match="lies outside the file"):
        load_checkpoint(path)


@pytest.mark.slow
def test_sampling_an_onnx_model_that_outputs_nan_is_refused(tmp_path, monkeypatch, capsys):
    """An export made before exports checked their outputs: the sample command refuses instead of a black PNG."""
    from ganstudio.cli.main import main
    from ganstudio.core import export
    from ganstudio.core.networks import build_generator

    config = tiny_model()
    generator = build_generator(config).eval()
    with torch.no_grad():
        next(generator.parameters()).fill_(float("nan"))
    monkeypatch.setattr(export, "_self_check", lambda *args, **kwargs: None)
    model = export.export_onnx(generator, config, tiny_train(), tmp_path / "nan.onnx")
    monkeypatch.undo()
    out = tmp_path / "grid.png"
    assert main(["sample", str(model), "--n", "4", "--out", str(out)]) == 1
    assert "produced NaN or infinite pixels in 4 of 4 images" in capsys.readouterr().err
    assert not out.exists()
