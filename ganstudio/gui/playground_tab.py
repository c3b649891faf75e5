"""The Playground tab: a tiny GAN on 2-D points, to watch each player move.

Composition only: the settings forms (playground_form), the planes (playground_view), loss plots (loss_plots),
the coverage and explanation panels (playground_panels) and the background work (playground_worker: a training
process, a relay thread and a render thread). A settings change or Reset restarts training from step 0 with the
form's configs; Play / Pause, Step D and Step G and the speed go to the training process as commands.

The tab starts its background work (and so imports torch) when it is first shown, and is itself imported and
built only then (playground_page.py), so opening the app costs nothing for it. Closing the window stops it all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.config import ConfigError
from ganstudio.core.playground.config import PlaygroundConfig
from ganstudio.core.playground.presets import PRESETS, find_preset
from ganstudio.gui import dialogs
from ganstudio.gui.dialogs import let_shrink
from ganstudio.gui.loss_plots import LossPlots
from ganstudio.gui.playground_form import SHARED_FIELDS, PlaygroundForm
from ganstudio.gui.playground_panels import CoveragePanel, ExplanationPanel
from ganstudio.gui.playground_view import PlaneView
from ganstudio.gui.playground_worker import PlaygroundRenderer, PlaygroundWorker, TrainingFrame, ViewFrame

SPEEDS = (
    (0.0, "as fast as possible"),
    (100.0, "100 steps/s"),
    (20.0, "20 steps/s"),
    (5.0, "5 steps/s"),
    (1.0, "1 step/s"),
)
APPLY_DELAY_MS = 300  # settings edits restart training once typing pauses
STOP_TIMEOUT_MS = 10_000


class PlaygroundTab(QWidget):
    status_message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[tuple[float, float]] = []
        self._configs: tuple[PlaygroundConfig, ...] = ()
        self._generation = 0  # of the newest frame shown
        self._configured = 0  # configure() calls sent: the worker numbers its generations the same way
        self._worker: PlaygroundWorker | None = None
        self._worker_thread: QThread | None = None
        self._renderer: PlaygroundRenderer | None = None
        self._render_thread: QThread | None = None
        self.latest_view: ViewFrame | None = None  # what the planes show now
        self.latest_coverage: tuple[Any, ...] | None = None
        self.latest_coverage_step = -1  # the G step of the first configuration when latest_coverage was measured
        self.newest_step = 0  # the G step of the first configuration in the newest frame from training
        self._training_plays = False  # what the newest frame from training says
        self.frames_drawn = 0  # frames painted into the planes since the tab was built
        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(APPLY_DELAY_MS)
        self._apply_timer.timeout.connect(self.apply_settings)
        self._build()
        self._connect()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Choose a preset...", "")
        for preset in PRESETS:
            self.preset_combo.addItem(preset.name, preset.name)
            self.preset_combo.setItemData(
                self.preset_combo.count() - 1, preset.description, Qt.ItemDataRole.ToolTipRole
            )
        self.compare_check = QCheckBox("Compare")
        self.compare_check.setToolTip("Train a second configuration (B) side by side, on the same data and seed")
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Train continuously (Space)")
        self.play_button.setShortcut(Qt.Key.Key_Space)
        self.step_d_button = QPushButton("Step D")
        self.step_d_button.setToolTip("One discriminator update: watch the heatmap change while the points stay")
        self.step_g_button = QPushButton("Step G")
        self.step_g_button.setToolTip("One generator update: watch the points move along the arrows")
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Start again from step 0 with the current settings")
        self.speed_combo = QComboBox()
        for value, text in SPEEDS:
            self.speed_combo.addItem(text, value)
        self.speed_combo.setToolTip("G steps per second while playing")
        self.status_label = QLabel("")
        # The toolbar must fit a 1024 px screen beside the Model Info dock: the preset list shows its full names
        # when opened, and the buttons may shrink to their text.
        self.preset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset_combo.setMinimumContentsLength(12)
        toolbar = QHBoxLayout()
        for w in (
            QLabel("Preset"),
            self.preset_combo,
            self.compare_check,
            self.play_button,
            self.step_d_button,
            self.step_g_button,
            self.reset_button,
            QLabel("Speed"),
            self.speed_combo,
        ):
            if isinstance(w, QPushButton):
                let_shrink(w)
            toolbar.addWidget(w)
        toolbar.addWidget(self.status_label, 1)

        self.form_a = PlaygroundForm()
        self.form_b = PlaygroundForm(shared_data=True)
        self.clear_points_button = QPushButton("Clear drawn points")
        self.box_a = QGroupBox("Settings (A)")
        box_a_layout = QVBoxLayout(self.box_a)
        box_a_layout.addWidget(self.form_a)
        box_a_layout.addWidget(self.clear_points_button)
        self.box_b = QGroupBox("Compare with (B)")
        QVBoxLayout(self.box_b).addWidget(self.form_b)
        self.box_b.setVisible(False)
        forms = QWidget()
        forms_layout = QVBoxLayout(forms)
        forms_layout.setContentsMargins(0, 0, 0, 0)
        forms_layout.addWidget(self.box_a)
        forms_layout.addWidget(self.box_b)
        forms_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(forms)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(forms.sizeHint().width() + 24)

        self.views = [PlaneView(), PlaneView()]
        self.loss_plots = [LossPlots(), LossPlots()]
        sides = QHBoxLayout()
        self._sides: list[QWidget] = []
        for view, plots in zip(self.views, self.loss_plots, strict=True):
            side = QWidget()
            column = QVBoxLayout(side)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(view, 3)
            plots.setMinimumHeight(150)
            column.addWidget(plots, 2)
            sides.addWidget(side)
            self._sides.append(side)
        self._sides[1].setVisible(False)

        self.coverage_panel = CoveragePanel()
        self.explanation_panel = ExplanationPanel()
        right = QVBoxLayout()
        right.addWidget(self.coverage_panel)
        right.addWidget(self.explanation_panel, 1)
        right_widget = QWidget()
        right_widget.setLayout(right)
        right_widget.setMaximumWidth(360)

        body = QHBoxLayout()
        body.addWidget(scroll)
        body.addLayout(sides, 1)
        body.addWidget(right_widget)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addLayout(body, 1)
        self._update_drawing()

    def _connect(self) -> None:
        self.preset_combo.activated.connect(self._preset_chosen)
        self.compare_check.toggled.connect(self._compare_toggled)
        self.play_button.toggled.connect(self._play_toggled)
        self.step_d_button.clicked.connect(lambda: self._step("D"))
        self.step_g_button.clicked.connect(lambda: self._step("G"))
        self.reset_button.clicked.connect(self.apply_settings)
        self.speed_combo.currentIndexChanged.connect(self._speed_changed)
        self.form_a.changed.connect(self._settings_edited)
        self.form_b.changed.connect(self._settings_edited)
        self.clear_points_button.clicked.connect(self.clear_points)
        for view in self.views:
            view.point_drawn.connect(self.add_point)

    # ------------------------------------------------------------------ threads
    def ensure_started(self) -> None:
        """Start the training and render threads (torch is imported there) and train the form's settings."""
        if self._worker is not None:
            return
        self._renderer = PlaygroundRenderer()
        self._renderer.rendered.connect(self._on_rendered)
        self._renderer.failed.connect(self._on_failed)
        self._render_thread = self._renderer.start_thread("playground-render")
        self._worker = PlaygroundWorker()
        self._worker_thread = QThread(self)
        self._worker_thread.setObjectName("playground-train")
        self._worker.moveToThread(self._worker_thread)
        self._worker_thread.started.connect(self._worker.run)
        self._worker.done.connect(self._worker_thread.quit, Qt.ConnectionType.DirectConnection)
        self._worker.frame.connect(self._on_frame)
        self._worker.failed.connect(self._on_failed)
        self._worker_thread.start()
        self._worker.set_speed(float(self.speed_combo.currentData()))
        self.apply_settings()

    def shutdown(self) -> None:
        """Stop both threads cooperatively and wait for them. Idempotent; Play starts them again."""
        self._apply_timer.stop()
        if self._worker is not None and self._worker_thread is not None:
            self._worker.stop()
            self._worker_thread.wait(STOP_TIMEOUT_MS)
        if self._renderer is not None and self._render_thread is not None:
            self._renderer.stop()
            self._render_thread.quit()
            self._render_thread.wait(STOP_TIMEOUT_MS)
        self._worker = self._worker_thread = None
        self._renderer = self._render_thread = None
        self._configured = self._generation = 0  # a new worker counts from 0 again
        self.play_button.setChecked(False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        window = self.window()
        if window is not self:
            window.installEventFilter(self)
        self.ensure_started()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window() and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    # ------------------------------------------------------------------ settings
    def configs(self) -> tuple[PlaygroundConfig, ...]:
        """The form's configs (one, or two in Compare mode); ConfigError if a field is invalid."""
        first = self.form_a.config()
        if not self.compare_check.isChecked():
            return (first,)
        return first, self.form_b.config(**{name: getattr(first, name) for name in SHARED_FIELDS})

    def _settings_edited(self) -> None:
        self._update_drawing()
        self._apply_timer.start()

    def apply_settings(self) -> None:
        """Restart training from step 0 with the form's settings (no-op while a field is invalid)."""
        self._apply_timer.stop()
        try:
            configs = self.configs()
        except ConfigError:
            return  # the form shows what is wrong
        self._configs = configs
        self._update_drawing()
        self._show_sides(len(configs))
        if configs[0].dist == "custom" and not self._points:
            for view in self.views:
                view.clear()
            self.status_label.setText("Click or drag on the plane to draw the real points")
            return
        if self._worker is not None:
            points = np.array(self._points, np.float64) if configs[0].dist == "custom" else None
            self._worker.configure(configs, points)
            self._configured += 1
            self._worker.play(self.play_button.isChecked())

    def ready(self) -> bool:
        """The planes show the current settings (no edit waits to be applied)."""
        view = self.latest_view
        return view is not None and view.generation == self._configured and not self._apply_timer.isActive()

    def settled(self) -> bool:
        """Training is paused and the planes and coverage show the step it paused at."""
        view = self.latest_view
        return (
            self.ready()
            and not self._training_plays
            and view is not None
            and view.snapshots[0].g_steps == self.newest_step == self.latest_coverage_step
        )

    def load_preset(self, name: str) -> None:
        preset = find_preset(name)
        self.form_a.set_config(preset.config)
        if preset.compare is not None:
            self.form_b.set_config(preset.compare)
        self.compare_check.setChecked(preset.compare is not None)
        self.apply_settings()
        self.status_message.emit(f"Preset: {preset.name}. {preset.description}")

    def _preset_chosen(self, index: int) -> None:
        name = self.preset_combo.itemData(index)
        if name:
            self.load_preset(name)

    def _compare_toggled(self, on: bool) -> None:
        self.box_b.setVisible(on)
        self._settings_edited()

    def _show_sides(self, count: int) -> None:
        self._sides[1].setVisible(count > 1)
        self.coverage_panel.set_columns(count)

    # ------------------------------------------------------------------ drawing your own
    def _update_drawing(self) -> None:
        custom = self.form_a.widget("dist") is not None and self._dist_choice() == "custom"
        self.clear_points_button.setVisible(custom)
        drawn = np.array(self._points, np.float64).reshape(-1, 2) if custom else np.zeros((0, 2))
        for view in self.views:
            view.set_drawing(custom)
            view.show_drawn_points(drawn)

    def _dist_choice(self) -> str:
        widget = self.form_a.widget("dist")
        return str(widget.currentData()) if isinstance(widget, QComboBox) else ""

    @Slot(float, float)
    def add_point(self, x: float, y: float) -> None:
        if self._dist_choice() != "custom":
            return
        self._points.append((x, y))
        self._settings_edited()

    def clear_points(self) -> None:
        self._points.clear()
        self._settings_edited()

    # ------------------------------------------------------------------ controls
    def _play_toggled(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            self.ensure_started()
        if self._worker is not None:
            self._worker.play(playing)

    def _step(self, which: str) -> None:
        self.ensure_started()
        self.play_button.setChecked(False)
        if self._worker is not None:
            self._worker.step_d() if which == "D" else self._worker.step_g()

    def _speed_changed(self) -> None:
        if self._worker is not None:
            self._worker.set_speed(float(self.speed_combo.currentData()))

    # ------------------------------------------------------------------ results
    @Slot(object)
    def _on_frame(self, frame: TrainingFrame) -> None:
        if self._worker is not None:
            self._worker.frame_taken()
        if frame.generation != self._generation:
            self._generation = frame.generation
            self.latest_view = self.latest_coverage = None
            self.latest_coverage_step = -1
            for plots, config in zip(self.loss_plots, frame.configs, strict=False):
                plots.clear()
                plots.set_objective(config.loss)
            self.coverage_panel.clear()
        for plots, rows in zip(self.loss_plots, frame.rows, strict=False):
            plots.append(rows)
        first = frame.weights[0]
        self.newest_step = first.g_steps
        self._training_plays = frame.playing
        moved = {"D": "D moved", "G": "G moved", "": "not trained yet"}[first.last_moved]
        rate = f", {frame.steps_per_second:.0f} G steps/s" if frame.playing and frame.steps_per_second else ""
        self.status_label.setText(f"step {first.g_steps:,} ({first.d_updates:,} D updates); {moved}{rate}")
        if self._renderer is not None:
            self._renderer.submit(frame)

    @Slot(object)
    def _on_rendered(self, view: ViewFrame) -> None:
        if view.generation != self._generation:
            return  # drawn for settings that have since changed
        self.latest_view = view
        self.frames_drawn += 1
        if view.coverage is not None:
            self.latest_coverage = view.coverage
            self.latest_coverage_step = view.snapshots[0].g_steps
        for i, (plane, snapshot) in enumerate(zip(self.views, view.snapshots, strict=False)):
            plane.draw(snapshot)
            plane.caption.setText(self._caption(i, snapshot))
            self.coverage_panel.show_snapshot(i, snapshot)
            if view.coverage is not None:
                self.coverage_panel.show_coverage(i, view.coverage[i])
        coverage = self.latest_coverage[0] if self.latest_coverage else None
        self.explanation_panel.explain(self._configs[0], coverage, view.snapshots[0].gradient_norm)

    def _caption(self, index: int, snapshot: Any) -> str:
        config = self._configs[index] if index < len(self._configs) else None
        if config is None:
            return ""
        name = "A" if index == 0 else "B"
        parts = [config.loss.upper() if config.loss == "bce" else config.loss]
        if config.spectral_norm:
            parts.append("spectral norm")
        parts.append(f"{config.d_steps} D step{'s' if config.d_steps > 1 else ''} per G step")
        parts.append(f"lr G {config.g_lr:g} / D {config.d_lr:g}")
        if config.lr_half_life:
            parts.append(f"halving every {config.lr_half_life:,} G steps")
        if config.ema_decay:
            parts.append(f"EMA {config.ema_decay:g}")
        return f"<b>{name}</b>: {', '.join(parts)}"

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.play_button.setChecked(False)
        dialogs.show_error(self, "Playground", message)
