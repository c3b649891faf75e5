"""When live metrics measure a snapshot (runtime.metrics_schedule): plain Python, tested without Qt or torch."""

from __future__ import annotations

import subprocess
import sys

from ganstudio.runtime.metrics_schedule import MetricsSchedule


def test_schedule_waits_for_both_steps_and_seconds():
    now = [0.0]
    schedule = MetricsSchedule(every_steps=100, min_seconds=15.0, clock=lambda: now[0])
    assert not schedule.due(0)
    now[0] = 20.0
    assert not schedule.due(50)  # time is up but not enough steps
    assert schedule.due(120)
    schedule.mark(120)
    now[0] = 25.0
    assert not schedule.due(400)  # steps are up but not enough time
    now[0] = 36.0
    assert schedule.due(400)
    assert not MetricsSchedule(every_steps=0, min_seconds=0).due(10_000)  # 0 = off


def test_schedule_holds_a_due_measurement_while_the_user_drags_but_not_for_ever():
    now = [0.0]
    schedule = MetricsSchedule(
        every_steps=100, min_seconds=15.0, clock=lambda: now[0], quiet_seconds=1.0, max_defer=60.0
    )
    assert not schedule.due(0)
    now[0] = 20.0
    schedule.interacting()
    now[0] = 20.5
    assert not schedule.due(200)  # due, but a slider moved half a second ago
    now[0] = 21.5
    assert schedule.due(210)  # the sliders have been still for a second
    schedule.mark(210)
    for t in range(40, 110, 3):  # a drag that never pauses: held from t=40 (due) until 60 s later
        now[0] = float(t)
        schedule.interacting()
        if schedule.due(210 + 10 * t):
            break
    assert now[0] == 100.0
    schedule.mark(1210)
    assert schedule.held_since is None


def test_restart_takes_the_next_snapshot_as_its_base():
    now = [0.0]
    schedule = MetricsSchedule(every_steps=100, min_seconds=0.0, clock=lambda: now[0])
    schedule.due(0)
    schedule.restart(every_steps=10)
    assert not schedule.due(5_000)  # a resumed run: its first snapshot is the new base, not a due measurement
    assert schedule.due(5_010)


def test_the_schedule_imports_neither_torch_nor_qt():
    code = (
        "import sys, ganstudio.runtime.metrics_schedule; "
        "bad = [m for m in ('torch', 'PySide6', 'numpy') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
