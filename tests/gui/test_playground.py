"""The Playground tab, driven through its controls: playing moves the points, Step D / Step G move one player
only, presets fill the form, Compare shows two runs, and the coverage it shows equals `ganstudio playground`'s."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PySide6.QtCore import QThread

from ganstudio.cli.main import main
from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.presets import PRESETS
from ganstudio.gui.playground_form import SHARED_FIELDS
from ganstudio.gui.playground_tab import PlaygroundTab

TINY = PlaygroundConfig(g_width=16, d_width=16, g_layers=2, d_layers=2, batch_size=32, seed=4)
WAIT_MS = 60_000  # the first frame waits for torch's import on the training thread


@pytest.fixture
def tab(qtbot):
    tab = PlaygroundTab()
    qtbot.addWidget(tab)
    tab.form_a.set_config(TINY)
    tab.resize(1200, 800)
    tab.show()
    qtbot.waitUntil(tab.ready, timeout=WAIT_MS)
    yield tab
    tab.shutdown()


def snapshot(tab: PlaygroundTab, index: int = 0):
    assert tab.latest_view is not None
    return tab.latest_view.snapshots[index]


@pytest.mark.slow
def test_points_move_while_playing_and_stop_when_paused(qtbot, tab):
    before = snapshot(tab).fake.copy()
    tab.play_button.click()
    qtbot.waitUntil(lambda: snapshot(tab).g_steps >= 5, timeout=WAIT_MS)
    tab.play_button.click()
    assert tab.play_button.text() == "Play"
    qtbot.waitUntil(tab.settled, timeout=WAIT_MS)
    assert not np.array_equal(snapshot(tab).fake, before)
    paused_at = snapshot(tab).g_steps
    qtbot.wait(300)
    assert snapshot(tab).g_steps == paused_at


@pytest.mark.slow
def test_step_d_moves_only_the_discriminator_and_step_g_only_the_generator(qtbot, tab):
    start = snapshot(tab)
    tab.step_d_button.click()
    qtbot.waitUntil(lambda: snapshot(tab).d_updates == 1, timeout=WAIT_MS)
    after_d = snapshot(tab)
    assert after_d.g_steps == 0 and after_d.last_moved == "D"
    assert not np.array_equal(after_d.heatmap, start.heatmap)  # D's surface changed
    np.testing.assert_array_equal(after_d.fake, start.fake)  # G's points did not
    np.testing.assert_array_equal(after_d.manifold, start.manifold)
    tab.step_g_button.click()
    qtbot.waitUntil(lambda: snapshot(tab).g_steps == 1, timeout=WAIT_MS)
    after_g = snapshot(tab)
    assert after_g.d_updates == 1 and after_g.last_moved == "G"
    np.testing.assert_array_equal(after_g.heatmap, after_d.heatmap)
    assert not np.array_equal(after_g.fake, after_d.fake)
    assert "G moved" in tab.status_label.text()


def test_presets_load_into_the_form_and_compare_mode(qtbot):
    tab = PlaygroundTab()  # never shown: no threads, the form alone
    qtbot.addWidget(tab)
    assert len(PRESETS) >= 2
    for preset in PRESETS:
        index = tab.preset_combo.findData(preset.name)
        assert index > 0
        tab.preset_combo.setCurrentIndex(index)
        tab.preset_combo.activated.emit(index)
        assert tab.form_a.config() == preset.config
        assert tab.compare_check.isChecked() == (preset.compare is not None)
        if preset.compare is not None:
            shared = {name: getattr(preset.config, name) for name in SHARED_FIELDS}
            assert tab.form_b.config(**shared) == preset.compare
            assert tab.configs() == (preset.config, preset.compare)


@pytest.mark.slow
def test_compare_trains_two_configurations_side_by_side(qtbot, tab):
    tab.form_b.set_config(PlaygroundConfig(**{**TINY.__dict__, "loss": "hinge", "spectral_norm": True}))
    tab.compare_check.setChecked(True)
    qtbot.waitUntil(lambda: tab.ready() and len(tab.latest_view.snapshots) == 2, timeout=WAIT_MS)
    tab.step_g_button.click()
    qtbot.waitUntil(lambda: snapshot(tab, 1).g_steps == 1 and snapshot(tab).g_steps == 1, timeout=WAIT_MS)
    assert not np.array_equal(snapshot(tab, 0).heatmap, snapshot(tab, 1).heatmap)
    np.testing.assert_array_equal(snapshot(tab, 0).real, snapshot(tab, 1).real)  # same data and seed
    assert tab.coverage_panel.value(1, "steps") == "1 / 0"


@pytest.mark.slow
def test_drawn_points_become_the_data(qtbot, tab):
    custom = PlaygroundConfig(**{**TINY.__dict__, "dist": "custom"})
    tab.form_a.set_config(custom)
    qtbot.wait(500)
    assert "draw" in tab.status_label.text().lower()
    for x, y in ((1.0, 1.0), (1.1, 1.0), (-1.5, 0.5)):
        tab.views[0].point_drawn.emit(x, y)
    qtbot.waitUntil(tab.ready, timeout=WAIT_MS)
    assert tab.latest_coverage is not None and tab.latest_coverage[0].modes_total == 2
    real = snapshot(tab).real
    assert np.abs(real - [-1.5, 0.5]).sum(1).min() < 0.5 and np.abs(real - [1.05, 1.0]).sum(1).min() < 0.5


@pytest.mark.slow
def test_coverage_shown_by_the_tab_matches_the_cli(qtbot, tab, capsys):
    tab.play_button.click()
    qtbot.waitUntil(lambda: snapshot(tab).g_steps >= 15, timeout=WAIT_MS)
    tab.play_button.click()
    qtbot.waitUntil(tab.settled, timeout=WAIT_MS)  # the frame sent on pausing is measured at once
    steps = snapshot(tab).g_steps
    shown = tab.latest_coverage[0]
    args = ["playground", "--steps", str(steps), "--json", "--threads", str(torch.get_num_threads())]
    for flag, value in (("--g-width", 16), ("--d-width", 16), ("--g-layers", 2), ("--d-layers", 2)):
        args += [flag, str(value)]
    args += ["--batch-size", "32", "--seed", "4"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["g_steps"] == steps
    assert (report["modes_covered"], report["modes_total"]) == (shown.modes_covered, shown.modes_total)
    assert report["high_quality"] == pytest.approx(shown.high_quality, abs=1e-9)
    assert report["js"] == pytest.approx(shown.js, abs=1e-9)
    assert tab.coverage_panel.value(0, "modes") == f"{shown.modes_covered} / {shown.modes_total}"


@pytest.mark.slow
def test_the_main_window_builds_the_tab_when_shown_and_closing_stops_it(qtbot, make_window):
    window = make_window()
    page = window.playground
    assert window.tabs.tabText(window.tabs.indexOf(page)) == "Playground"
    assert page.tab is None  # nothing built (or imported) until the tab is opened
    window.tabs.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.tab is not None and page.tab.ready(), timeout=WAIT_MS)
    page.tab.play_button.click()
    qtbot.waitUntil(lambda: page.tab.newest_step > 0, timeout=WAIT_MS)
    window.close()  # the conftest fails the test if the training or render thread is still running
    assert not page.tab.play_button.isChecked()


def test_window_shutdown_stops_the_playground_threads(make_window, qtbot) -> None:
    window = make_window()
    window.tabs.setCurrentWidget(window.playground)
    qtbot.waitUntil(lambda: window.playground.tab is not None, timeout=10000)
    window.playground.tab.play_button.click()
    qtbot.wait(300)
    window.shutdown()
    assert not any(t.isRunning() for t in window.playground.findChildren(QThread))
