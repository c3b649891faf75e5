"""Where commands write: `--out` / `--json` never overwrite the model read or a run's own files, requests too large
to produce are refused before any work, and a failed write says why (disk full, read-only) and leaves no half file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from ganstudio.cli.main import main
from ganstudio.runtime import imaging

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "mnist.onnx"
pytestmark = pytest.mark.skipif(not SHIPPED.is_file(), reason=f"needs the shipped generator {SHIPPED}")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder as far as the output checks can tell (they run before anything is loaded): its three files,
    with the shipped generator as generator.onnx so that commands given another --out really run."""
    import shutil

    out = tmp_path_factory.mktemp("outputs") / "run"
    out.mkdir()
    (out / "checkpoint.safetensors").write_bytes(b"weights the run cannot lose")
    (out / "run.json").write_text('{"state": {"step": 2}}', encoding="utf-8")
    shutil.copy(SHIPPED, out / "generator.onnx")
    return out


def _snapshot(run: Path) -> dict[str, bytes]:
    return {name: (run / name).read_bytes() for name in ("checkpoint.safetensors", "run.json", "generator.onnx")}


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        (["export", "{run}", "--out", "{run}/checkpoint.safetensors"], "checkpoint.safetensors"),
        (["export", "{run}", "--out", "{run}/run.json"], "run.json"),
        (["sample", "{run}", "--n", "4", "--out", "{run}/checkpoint.safetensors"], "checkpoint.safetensors"),
        (["sample", "{run}/generator.onnx", "--n", "4", "--out", "{run}/generator.onnx"], "generator.onnx"),
        (["sample", "{run}", "--n", "4", "--out", "{run}/generator.onnx"], "generator.onnx"),
        (["interpolate", "{run}", "--seeds", "1", "2", "--out", "{run}/run.json"], "run.json"),
        (["evaluate", "{run}", "--n", "4", "--json", "{run}/run.json"], "run.json"),
    ],
)
def test_out_never_overwrites_a_runs_own_files(
    run_dir: Path, argv: list[str], target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _snapshot(run_dir)
    assert main([a.format(run=run_dir) for a in argv]) == 1
    err = capsys.readouterr().err
    assert f"refusing to overwrite {run_dir / target}" in err and "Traceback" not in err
    assert _snapshot(run_dir) == before


def test_out_never_overwrites_the_model_file_read(run_dir: Path, tmp_path: Path, capsys) -> None:
    model = tmp_path / "model.onnx"
    model.write_bytes((run_dir / "generator.onnx").read_bytes())
    assert main(["sample", str(model), "--n", "4", "--out", str(model)]) == 1
    assert "it is the model this command reads" in capsys.readouterr().err
    assert model.read_bytes() == (run_dir / "generator.onnx").read_bytes()


@pytest.mark.slow
def test_a_real_run_survives_export_onto_its_checkpoint_and_may_rebuild_its_generator(tmp_path: Path) -> None:
    from ganstudio.core.checkpoint import load_checkpoint
    from ganstudio.core.training import Trainer
    from tests.core.helpers import tiny_dataset, tiny_model, tiny_train

    run = tmp_path / "run"
    list(Trainer(tiny_model(), tiny_train(steps=2), tiny_dataset(32), run).run(export_on_finish=False))
    assert main(["export", str(run), "--out", str(run / "checkpoint.safetensors")]) == 1
    assert load_checkpoint(run).state["step"] == 2
    assert main(["export", str(run), "--out", str(run / "generator.onnx")]) == 0
    assert (run / "generator.onnx").stat().st_size > 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--n", "10000000"], "more than the 256 MiB allowed; lower the number of images or --scale"),
        (["--n", "4", "--scale", "1000"], "more than the 256 MiB allowed"),
        (["--n", "4", "--columns", "-1"], "--columns must be at least 1, got -1"),
        (["--n", "4", "--columns", "100000000"], "more than the 256 MiB allowed"),
    ],
)
def test_sample_requests_too_large_are_refused_up_front(run_dir, tmp_path, capsys, extra, message) -> None:
    out = tmp_path / "grid.png"
    assert main(["sample", str(run_dir / "generator.onnx"), *extra, "--out", str(out)]) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "out_name", "message"),
    [
        (["--steps", "10000000"], "strip.png", "more than the 256 MiB allowed"),
        (["--steps", "100000"], "anim.gif", "lower --steps or --scale"),
        (["--fps", "0"], "anim.gif", "--fps must be in 0.1..50, got 0"),
        (["--fps", "nan"], "anim.gif", "--fps must be in 0.1..50, got nan"),
    ],
)
def test_interpolate_requests_out_of_bounds_are_refused(run_dir, tmp_path, capsys, extra, out_name, message) -> None:
    out = tmp_path / out_name
    argv = ["interpolate", str(run_dir / "generator.onnx"), "--seeds", "1", "2", *extra, "--out", str(out)]
    assert main(argv) == 1
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sample", "{model}", "--seed", "-1", "--out", "x.png"], "seeds must be 0 or more, got -1"),
        (["interpolate", "{model}", "--seeds", "1", "-5", "--out", "x.gif"], "seeds must be 0 or more, got -5"),
        (["sample", "{model}", "--truncation", "nan", "--out", "x.png"], "--truncation must be a finite number"),
        (["evaluate", "{model}", "--seed", "-3"], "seeds must be 0 or more, got -3"),
    ],
)
def test_seeds_and_truncation_are_checked_by_name(run_dir, tmp_path, monkeypatch, capsys, argv, message) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([a.format(model=run_dir / "generator.onnx") for a in argv]) == 1
    err = capsys.readouterr().err
    assert f"error: {message}" in err and "Warning" not in err


def test_evaluate_refuses_more_samples_than_memory_allows(run_dir, capsys) -> None:
    assert main(["evaluate", str(run_dir / "generator.onnx"), "--n", "10000000"]) == 1
    assert "use --n 342,392 or fewer" in capsys.readouterr().err


# -- failed writes ------------------------------------------------------------------------------------------------


def _skip_if_root_ignores_permissions(folder: Path) -> None:
    probe = folder / ".probe"
    try:
        probe.write_text("x")
    except OSError:
        return
    probe.unlink()
    pytest.skip("permissions are not enforced here (running as root)")


def test_a_read_only_folder_is_named_not_hidden_by_the_cleanup(run_dir, tmp_path, capsys) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        _skip_if_root_ignores_permissions(folder)
        assert main(["sample", str(run_dir / "generator.onnx"), "--n", "4", "--out", str(folder / "g.png")]) == 1
        err = capsys.readouterr().err
        assert f"cannot write {folder / 'g.png'}: permission denied" in err
    finally:
        folder.chmod(0o755)


def test_a_failing_cleanup_does_not_hide_the_write_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a read-only file system: the write fails, and removing the temp file fails too."""

    def write(tmp: Path) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp))

    def unlink(self: Path, missing_ok: bool = False) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(imaging.FileWriteError, match="read-only file system") as info:
        imaging.atomic_write(tmp_path / "x.png", write)
    assert str(info.value) == f"cannot write {tmp_path / 'x.png'}: read-only file system"


def test_disk_full_leaves_no_half_file_and_says_so(run_dir, tmp_path, capsys, monkeypatch) -> None:
    target = tmp_path / "report.json"
    target.write_text('{"previous": true}', encoding="utf-8")
    real_replace = os.replace

    def full_disk(src, dst):
        if Path(dst) == target:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst)

    monkeypatch.setattr(imaging.os, "replace", full_disk)
    path = run_dir / "generator.onnx"
    assert main(["evaluate", str(path), "--n", "4", "--dataset", str(tmp_path / "faces"), "--json", str(target)]) == 1
    assert f"cannot write {target}: disk full" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == '{"previous": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left behind
