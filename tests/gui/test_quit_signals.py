"""SIGTERM / SIGHUP / Ctrl+C close the app as Quit does (settings saved, training stopped and saved) and exit with
128 + the signal's number, like the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ganstudio.gui.quit_signals import QuitOnSignals

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")


def test_a_signal_wakes_the_event_loop_and_quits_with_128_plus_its_number(qtbot):
    codes: list[int] = []
    before = signal.getsignal(signal.SIGTERM)
    quitter = QuitOnSignals(codes.append)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: codes == [143], timeout=5000)
        assert quitter.received == signal.SIGTERM
    finally:
        quitter.uninstall()
    assert signal.getsignal(signal.SIGTERM) is before


LAUNCH = textwrap.dedent(
    """
    import sys, pathlib
    from PySide6.QtCore import QTimer
    from ganstudio.gui import app as gui_app

    make = gui_app.create_application

    def create(argv):
        application = make(argv)
        QTimer.singleShot(500, lambda: pathlib.Path(sys.argv[1]).write_text("up"))  # the event loop runs
        return application

    gui_app.create_application = create
    sys.exit(gui_app.run_app(["ganstudio"]))
    """
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_the_app_saves_its_settings_and_exits_with_128_plus_the_signal(tmp_path: Path, signum: int):
    ready = tmp_path / "ready"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, str(ready)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 90
        while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.exists(), process.communicate(timeout=10)[0].decode(errors="replace")[-2000:]
        process.send_signal(signum)
        output = process.communicate(timeout=60)[0].decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signum, output[-2000:]
    assert list((tmp_path / "config").rglob("*.ini")), "the settings were not written on the way out"
