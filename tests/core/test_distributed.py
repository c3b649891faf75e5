"""`torchrun -m ganstudio train` on two CPU processes (gloo, 127.0.0.1): the ranks end with identical weights, the
run folder resumes in one process, and a rank killed mid-run ends the job with a clear message, not a hang."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganstudio.cli.main import main
from ganstudio.core import distributed
from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.networks import build_discriminator, build_generator

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32" or not distributed.dist.is_available(), reason="needs gloo"),
]

ROOT = Path(__file__).resolve().parents[2]
BATCH = 8
TRAIN_FLAGS = ["--batch-size", str(BATCH), "--g-width", "8", "--d-width", "8", "--latent-dim", "8", "--threads", "1"]
TRAIN_FLAGS += ["--image-size", "28", "--channels", "1", "--checkpoint-every", "1000", "--no-export"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _image_folder(root: Path, n: int = 96) -> Path:
    rng = np.random.default_rng(0)
    root.mkdir()
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(root / f"{i:03d}.png")
    return root


def _torchrun(args: list[str], reports: Path, nproc: int = 2) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        distributed.REPORT_ENV_VAR: str(reports),
        distributed.TIMEOUT_ENV_VAR: "30",
    }
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}"]
    command += ["--master_addr", "127.0.0.1", "--master_port", str(_free_port()), "-m", "ganstudio", "train", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _reports(folder: Path) -> list[dict]:
    return [json.loads((folder / f"rank{r}.json").read_text()) for r in (0, 1)]


def test_two_ranks_train_identical_weights_and_the_run_resumes_in_one_process(tmp_path):
    data, out, reports = _image_folder(tmp_path / "data"), tmp_path / "run", tmp_path / "reports"
    reports.mkdir()
    # WGAN-GP: its gradient penalty's double backward must reach DDP's all-reduce; two D steps per G step: the
    # first D step's G pass runs through DDP without gradients.
    args = ["--dataset", str(data), "--steps", "6", "--sample-every", "3", "--out", str(out), *TRAIN_FLAGS]
    proc = _torchrun([*args, "--loss", "wgan-gp", "--d-steps", "2"], reports)
    output, _ = proc.communicate(timeout=240)
    assert proc.returncode == 0, output
    assert "global batch 16" in output
    rank0, rank1 = _reports(reports)
    assert rank0["step"] == rank1["step"] == 6
    # Weights, spectral norm's power-iteration vectors and the EMA agree bit for bit. (G's batch-norm running
    # statistics are each rank's own between forwards, by design: docs/decisions/distributed.md.)
    for part in ("G.params", "D.params", "D.buffers", "G_ema.params"):
        assert rank0["digest"][part] == rank1["digest"][part], part

    # Only rank 0 wrote the run folder, in the usual format: its checkpoint holds the weights both ranks had,
    # and counts the global batch (6 steps x 2 D steps x 8 images x 2 ranks = two passes over the 96 images).
    data_ckpt = load_checkpoint(out)
    assert data_ckpt.state["step"] == 6
    assert data_ckpt.state["images_seen"] == 6 * 2 * BATCH * 2
    generator, discriminator = build_generator(data_ckpt.model_config), build_discriminator(data_ckpt.model_config)
    generator.load_state_dict(data_ckpt.module_state("G"))
    discriminator.load_state_dict(data_ckpt.module_state("D"))
    saved = distributed.state_digest({"G": generator, "D": discriminator})
    assert saved["G.params"] == rank0["digest"]["G.params"]
    assert saved["D.params"] == rank0["digest"]["D.params"]
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step_0000003.png", "step_0000006.png"]

    assert main(["resume", str(out), "--steps", "2", "--no-export", "--threads", "1"]) == 0
    assert load_checkpoint(out).state["step"] == 8


def test_a_killed_rank_ends_the_job_with_a_clear_message(tmp_path):
    data, out, reports = _image_folder(tmp_path / "data"), tmp_path / "run", tmp_path / "reports"
    reports.mkdir()
    args = ["--dataset", str(data), "--steps", "100000", "--sample-every", "2", "--out", str(out), *TRAIN_FLAGS]
    proc = _torchrun(args, reports)
    try:
        deadline = time.monotonic() + 180
        while not (out / "samples" / "step_0000004.png").exists():  # training is under way on both ranks
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "training did not start"
            time.sleep(0.2)
        victim = json.loads((reports / "rank1.json").read_text())["pid"]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        output, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert time.monotonic() - killed_at < 60, "the surviving rank waited too long"
    # Either the survivor's own line (a collective failed) or torchrun's report naming the killed rank as the
    # root cause (torchrun's monitor noticed first and stopped the survivor).
    ours = "lost contact with the other training processes" in output
    assert ours or ("Root Cause" in output and "rank      : 1" in output and "SIGKILL" in output), output


def _rank_main(rank: int, port: int, queue) -> None:
    """One rank of a 2-process gloo group: rank 1 dies after joining, rank 0 then tries an all-reduce."""
    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1")
    os.environ.update(MASTER_PORT=str(port), **{distributed.TIMEOUT_ENV_VAR: "20"})
    import torch

    ctx = distributed.init_from_env("cpu")
    if rank == 1:
        os._exit(0)  # no goodbye: as if killed
    try:
        with distributed.collective_errors():
            time.sleep(1.0)
            for _ in range(100):
                torch.distributed.all_reduce(torch.ones(4))
        queue.put(("no error", ctx.world_size))
    except distributed.DistributedError as exc:
        queue.put(("DistributedError", str(exc)))
    except BaseException as exc:  # pragma: no cover - reported to the test
        queue.put((type(exc).__name__, str(exc)))


def test_a_failed_collective_becomes_one_clear_error():
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    port = _free_port()
    procs = [context.Process(target=_rank_main, args=(rank, port, queue)) for rank in (0, 1)]
    for proc in procs:
        proc.start()
    try:
        kind, message = queue.get(timeout=120)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
    assert kind == "DistributedError", message
    assert message.startswith("rank 0 of 2 lost contact with the other training processes")
    assert "ganstudio resume" in message
