"""Run folders under faults: a second run on a locked folder, an unwritable --out, crash leftovers, a lagging or
hand-edited run.json, an earlier run's samples, a stale export and a moved image folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.cli.main import main
from ganstudio.core.run_folder import reconcile_run_summary
from ganstudio.core.run_lock import RunFolderLock, RunFolderLockedError

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--arch", "mlp", "--latent-dim", "8", "--g-width", "8", "--d-width", "8", "--batch-size", "8"]
TINY += ["--threads", "1", "--channels", "1"]


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data") / "digits"
    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (folder / label).mkdir(parents=True)
        for i in range(12):
            Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(folder / label / f"{i}.png")
    return folder


def _train(images: Path, out: Path, *extra: str) -> int:
    return main(["train", "--dataset", str(images), "--out", str(out), "--no-export", *TINY, *extra])


@pytest.fixture(scope="module")
def saved_run(images, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "run"
    assert _train(images, out, "--steps", "2") == 0
    return out


def _copy(run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    return copy


# ------------------------------------------------------------------------------------------------ locking
def test_a_held_lock_refuses_a_second_holder_and_names_it(tmp_path):
    with RunFolderLock(tmp_path):
        with pytest.raises(RunFolderLockedError) as caught:
            RunFolderLock(tmp_path).acquire()
        assert caught.value.pid == os.getpid()
        assert str(tmp_path) in str(caught.value) and f"process {os.getpid()}" in str(caught.value)
    with RunFolderLock(tmp_path):  # released: free again, and the lock file is gone after
        pass
    assert not list(tmp_path.iterdir())


def _spawn(*argv: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "ganstudio", *argv], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip


def _wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_two_trainings_started_together_on_one_folder(images, tmp_path):
    """One trains; the other exits at once, non-zero, naming the folder and the holder's PID. Then SIGTERM stops
    the first: it saves, exits 143 and the run resumes."""
    import signal

    out = tmp_path / "run"
    argv = ["train", "--dataset", str(images), "--out", str(out), "--steps", "100000", "--sample-every", "1", *TINY]
    first, second = _spawn(*argv), _spawn(*argv)
    try:
        # the loser ends while the winner trains (its budget would take many minutes)
        _wait_for(lambda: first.poll() is not None or second.poll() is not None)
        loser, winner = (first, second) if first.poll() is not None else (second, first)
        assert loser.wait() == 1
        message = loser.stderr.read()
        assert f"{out} is in use by another GAN Studio run (process {winner.pid})" in message
        _wait_for(lambda: (out / "samples" / "step_0000001.png").exists())
        winner.send_signal(signal.SIGTERM)
        assert winner.wait(timeout=120) == 128 + signal.SIGTERM
        stderr = winner.stderr.read()
        assert "SIGTERM: training stopped at step" in stderr and "ganstudio resume" in stderr
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stderr.close()
    from ganstudio.core.checkpoint import load_checkpoint

    step = load_checkpoint(out).state["step"]
    assert step >= 1
    assert main(["resume", str(out), "--steps", "1", "--no-export"]) == 0
    assert load_checkpoint(out).state["step"] == step + 1
    assert not (out / ".ganstudio.lock").exists()


def test_a_locked_folder_is_refused_before_any_data_is_loaded(images, tmp_path, monkeypatch, capsys):
    import ganstudio.core.data as data

    monkeypatch.setattr(data, "load_dataset", lambda *a, **k: pytest.fail("data loaded"))
    out = tmp_path / "run"
    out.mkdir()
    with RunFolderLock(out):
        assert _train(images, out, "--steps", "1") == 1
    assert "is in use by another GAN Studio run" in capsys.readouterr().err


# --------------------------------------------------------------------------------------- unwritable --out
def test_an_unwritable_out_is_refused_before_any_data_is_loaded(images, tmp_path, monkeypatch, capsys):
    import ganstudio.core.data as data

    monkeypatch.setattr(data, "load_dataset", lambda *a, **k: pytest.fail("data loaded"))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert _train(images, blocker / "run", "--steps", "1") == 1
    err = capsys.readouterr().err
    assert f"cannot write to the run folder {blocker / 'run'}" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_out_is_refused_before_any_data_is_loaded(images, tmp_path, capsys):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert _train(images, out, "--steps", "1") == 1
    finally:
        out.chmod(0o700)
    assert "cannot write to the run folder" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ crash leftovers
def test_resume_removes_only_our_stale_temp_files(saved_run, tmp_path, capsys):
    run = _copy(saved_run, tmp_path)
    stale = [run / ".checkpoint.safetensors.4242.tmp", run / ".run.json.4242.17.tmp"]
    for path in stale:
        path.write_bytes(b"x" * 1000)
    foreign = run / ".notes.tmp"
    foreign.write_text("mine")
    assert main(["resume", str(run), "--steps", "1", "--no-export"]) == 0
    assert not any(path.exists() for path in stale)
    assert foreign.exists()
    assert "left by a save that was interrupted" in capsys.readouterr().err


def test_a_new_run_refuses_a_folder_with_an_earlier_runs_samples(images, tmp_path, capsys):
    out = tmp_path / "old"
    (out / "samples").mkdir(parents=True)
    (out / "samples" / "step_0000003.png").write_bytes(b"png")
    assert _train(images, out, "--steps", "1") == 1
    assert "holds files of an earlier run (samples/)" in capsys.readouterr().err
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_0000003.png"]


def test_a_lagging_run_json_is_repaired_silently(saved_run, tmp_path):
    run = _copy(saved_run, tmp_path)
    document = json.loads((run / "run.json").read_text())
    expected = json.loads((run / "run.json").read_text())
    document["state"]["step"] = 0  # killed between the checkpoint's rename and run.json's
    (run / "run.json").write_text(json.dumps(document))
    assert reconcile_run_summary(run) == []
    assert json.loads((run / "run.json").read_text()) == expected


def test_hand_edits_to_run_json_are_not_honoured_and_say_so(saved_run, tmp_path, capsys):
    run = _copy(saved_run, tmp_path)
    document = json.loads((run / "run.json").read_text())
    document["train_config"]["g_lr"] = 0.5
    (run / "run.json").write_text(json.dumps(document))
    assert main(["resume", str(run), "--steps", "1", "--no-export"]) == 0
    assert "differs from the checkpoint (edited by hand?)" in capsys.readouterr().err
    assert json.loads((run / "run.json").read_text())["train_config"]["g_lr"] != 0.5


@pytest.mark.slow
def test_info_on_a_run_prefers_a_checkpoint_newer_than_its_export(saved_run, tmp_path, capsys):
    run = _copy(saved_run, tmp_path)
    assert main(["export", str(run), "--out", str(run / "generator.onnx")]) == 0
    assert main(["resume", str(run), "--steps", "1", "--no-export"]) == 0
    capsys.readouterr()
    assert main(["info", str(run)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("GAN Studio generator (torch)") and "step 3" in out  # not the step-2 export


# ----------------------------------------------------------------------------------------- moved datasets
def test_a_folder_dataset_is_recorded_absolute_and_a_moved_one_is_found_with_data(images, tmp_path, capsys):
    moved = tmp_path / "moved-data"
    shutil.copytree(images, tmp_path / "here")
    out = tmp_path / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)  # "here" is relative to the cwd of the train only: resume runs from elsewhere
        assert main(["train", "--dataset", "here", "--out", str(out), "--steps", "1", "--no-export", *TINY]) == 0
    saved = json.loads((out / "run.json").read_text())["train_config"]["dataset"]
    assert saved == str(tmp_path / "here")
    (tmp_path / "here").rename(moved)
    capsys.readouterr()
    assert main(["resume", str(out), "--steps", "1", "--no-export"]) == 1
    err = capsys.readouterr().err
    assert f"dataset folder {tmp_path / 'here'} is missing" in err and "--data NEWPATH" in err
    assert main(["resume", str(out), "--steps", "1", "--no-export", "--data", str(moved)]) == 0
    assert json.loads((out / "run.json").read_text())["train_config"]["dataset"] == str(moved)


@pytest.mark.slow
def test_two_runs_started_together_without_out_get_two_folders(images, tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "data-home")}  # where platformdirs puts the runs folder on Linux
    argv = ["train", "--dataset", str(images), "--steps", "1", "--no-export", *TINY]
    processes = [_spawn(*argv, env=env) for _ in range(2)]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
        process.stderr.close()
    runs = sorted((tmp_path / "data-home" / "ganstudio" / "runs").iterdir())
    assert len(runs) == 2 and all((run / "checkpoint.safetensors").is_file() for run in runs)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_saves_and_exits_129(images, tmp_path):
    import signal

    from ganstudio.core.checkpoint import load_checkpoint

    out = tmp_path / "run"
    process = _spawn("train", "--dataset", str(images), "--out", str(out), "--steps", "100000", "--sample-every", "1",
                     *TINY)  # fmt: skip
    try:
        _wait_for(lambda: (out / "samples" / "step_0000001.png").exists())
        process.send_signal(signal.SIGHUP)
        assert process.wait(timeout=120) == 128 + signal.SIGHUP
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stderr.close()
    assert load_checkpoint(out).state["step"] >= 1
