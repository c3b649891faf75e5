"""The main window: the tabs (in tab_order's order), the model info dock, status bar, drag and drop.

It composes small parts: ModelOpening decides which model is open and hands each new one to `show_model`, the
tabs render through one RenderService and say what the user wants with intent signals (save an image, export a
strip, open a finished run), MainMenus builds the menu bar, and TrainPanel hands over finished runs and live
snapshots. Closing the window stops training cleanly and
then the render thread; nothing is ever terminated.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QDockWidget, QFrame, QLabel, QMainWindow, QMessageBox, QScrollArea, QTabWidget, QWidget

import ganstudio
from ganstudio.gui import dialogs
from ganstudio.gui.explore_tab import ExploreTab
from ganstudio.gui.interpolate_tab import InterpolateTab
from ganstudio.gui.map_tab import MapTab
from ganstudio.gui.menus import MainMenus
from ganstudio.gui.model_manager import ModelInfoPanel, ModelManager, backend_label, is_model_path, source_label
from ganstudio.gui.model_opening import ModelOpening
from ganstudio.gui.plane_tab import PlaneTab
from ganstudio.gui.playground_page import PlaygroundPage
from ganstudio.gui.png_restore import PngRestorer, is_png_path
from ganstudio.gui.project_tab import ProjectTab
from ganstudio.gui.render_worker import RenderResult, RenderService
from ganstudio.gui.settings import Settings
from ganstudio.gui.tab_order import TABS
from ganstudio.runtime.backends import GeneratorBackend
from ganstudio.runtime.latent_files import LatentFileError, LatentState, is_latent_path

try:  # the training panel is another part of the app; exploring works without it
    from ganstudio.gui.train_panel import TrainPanel
except ImportError as _exc:  # pragma: no cover - only while the panel is missing or broken
    TrainPanel = None  # type: ignore[assignment,misc]
    _TRAIN_IMPORT_ERROR = str(_exc)


INFO_DOCK_MIN_WIDTH = 150  # long file names scroll rather than widen the window past a 1024 px screen


def _train_unavailable() -> QLabel:
    label = QLabel(f"Training panel unavailable ({_TRAIN_IMPORT_ERROR})")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def scrolling(widget: QWidget) -> QScrollArea:
    """`widget` in a frameless scroll area that fills the width it is given and scrolls below its minimum."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setMinimumWidth(INFO_DOCK_MIN_WIDTH)
    return area


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("GAN Studio")
        self.setAcceptDrops(True)
        self.settings = settings or Settings()
        self.renderer = RenderService(self)
        self.models = ModelManager(self.renderer, self.settings, self)
        self._closed = False

        self.explore = ExploreTab(self.renderer, self.settings)
        self.interpolate = InterpolateTab(self.renderer, self.settings, self.explore.latent_state)
        self.plane = PlaneTab(self.explore.state, self.explore.backend)
        self.png_restorer = PngRestorer(self)
        self.opening = ModelOpening(self)
        self.project = ProjectTab(self.settings)
        self.map = MapTab(self.explore.state, self.interpolate.state)
        self.playground = PlaygroundPage()  # builds its contents when first shown
        self.train_panel = TrainPanel(self) if TrainPanel is not None else None
        self.train_tab: QWidget = self.train_panel if self.train_panel is not None else _train_unavailable()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for tab in TABS:
            self.tabs.setTabToolTip(self.tabs.addTab(getattr(self, tab.attribute), tab.name), tab.tip)
        self.setCentralWidget(self.tabs)

        self.info_panel = ModelInfoPanel()
        self.info_dock = QDockWidget("Model Info", self)
        self.info_dock.setObjectName("model_info_dock")
        self.info_dock.setWidget(scrolling(self.info_panel))
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.info_dock)

        self.backend_status = QLabel("no model")
        self.backend_status.setToolTip("The inference backend running the current model")
        self.time_status = QLabel("")
        self.time_status.setToolTip("Time of the last render of the current sample")
        self.source_status = QLabel("")
        self.source_status.setToolTip("Which generator Explore and Interpolate show: a model file or the live run")
        self.training_status = QLabel("")
        self.training_status.setToolTip("A training run is in progress (Train tab)")
        self.training_status.setVisible(False)
        self._training_step = -1  # the newest step reported by the run in progress or the last one
        self._training_active = False
        self.statusBar().addPermanentWidget(self.training_status)
        self.statusBar().addPermanentWidget(self.source_status)
        self.statusBar().addPermanentWidget(self.backend_status)
        self.statusBar().addPermanentWidget(self.time_status)

        self.menus = MainMenus(self)
        self.live_action = self.menus.live_action
        self.all_dims_action = self.menus.all_dims_action
        self.shipped_menu = self.menus.shipped_menu
        self.recent_menu = self.menus.recent_menu
        self.menus.rebuild_recent(self.models.recent_files())
        self.menus.rebuild_shipped()
        self._connect()
        self._restore()

    # -- construction -------------------------------------------------------------------------------------

    def _connect(self) -> None:
        self.renderer.rendered.connect(self._on_rendered)
        self.models.loading.connect(lambda p: self.statusBar().showMessage(f"Opening {Path(p).name}…"))
        self.models.recent_changed.connect(self.menus.rebuild_recent)
        self.explore.status_message.connect(self.show_status)
        self.explore.render_time.connect(lambda ms: self.time_status.setText(f"render {ms:.1f} ms"))
        self.explore.keyframe_requested.connect(self._on_keyframe)
        self.explore.save_image_requested.connect(self.save_image_dialog)
        self.explore.sliders.show_all_changed.connect(self.all_dims_action.setChecked)
        self.interpolate.status_message.connect(self.show_status)
        self.plane.status_message.connect(self.show_status)
        self.plane.shown.connect(self.explore.directions_panel.ensure_directions)
        self.project.status_message.connect(self.show_status)
        self.project.projected.connect(self.explore.set_latent_state)
        self.project.explore_requested.connect(lambda: self.tabs.setCurrentWidget(self.explore))
        self.interpolate.export_strip_requested.connect(self.export_strip_dialog)
        self.interpolate.export_gif_requested.connect(self.export_gif_dialog)
        if self.train_panel is not None:
            self.train_panel.model_ready.connect(self.opening.on_model_ready)
            self.train_panel.snapshot_ready.connect(self.opening.on_snapshot)
            self.train_panel.status_message.connect(self.show_status)
            self.train_panel.training_active_changed.connect(self._pace_renders)
            self.train_panel.training_active_changed.connect(self._show_training)
            self.train_panel.run.metrics.connect(self._on_train_metrics)
            self.explore.slider_moved.connect(self.train_panel.live_metrics.user_interacting)

    def _pace_renders(self, training: bool) -> None:
        """While training shares the CPU, render slider changes no faster than the screen shows them: a 120 Hz
        drag on a 60 Hz screen would otherwise spend half its renders and paints on frames nobody sees, and
        take that CPU from training (on a 2-core machine training lost 35-53% during a drag, 16-26% paced)."""
        screen = self.screen()
        hz = screen.refreshRate() if screen is not None else 0.0
        self.renderer.set_min_interval(1.0 / (hz if 20.0 <= hz <= 500.0 else 60.0) if training else 0.0)

    @Slot(bool)
    def _show_training(self, active: bool) -> None:
        """The status-bar badge that says a run is training, seen from every tab (paused or ended: says so)."""
        self._training_active = active
        if active:
            self.training_status.setText(
                f"Training: step {self._training_step:,}" if self._training_step >= 0 else "Training…"
            )
        elif self._training_step >= 0:
            paused = self.train_panel is not None and self.train_panel.is_paused()
            self.training_status.setText(
                f"Training {'paused' if paused else 'stopped'} at step {self._training_step:,}"
            )
        self.training_status.setVisible(active or self._training_step >= 0)

    @Slot(object)
    def _on_train_metrics(self, batch: object) -> None:
        step = getattr(getattr(batch, "latest", None), "step", None)
        if isinstance(step, int) and step != self._training_step:
            self._training_step = step
            if self._training_active:
                self.training_status.setText(f"Training: step {step:,}")
                self.training_status.setVisible(True)

    def _restore(self) -> None:
        geometry = self.settings.get_bytes("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1360, 860)
        state = self.settings.get_bytes("window/state")
        if state is not None:
            self.restoreState(state)
        self.tabs.setCurrentIndex(self.settings.get_int("window/tab", 0, 0, self.tabs.count() - 1))
        self.all_dims_action.setChecked(self.explore.sliders.show_all())

    def save_settings(self) -> None:
        self.settings.set("window/geometry", self.saveGeometry())
        self.settings.set("window/state", self.saveState())
        self.settings.set("window/tab", self.tabs.currentIndex())
        self.explore.save_settings()
        self.interpolate.save_settings()
        self.settings.sync()

    # -- models (ModelOpening decides; these keep the window's public API) -----------------------------------

    def backend(self) -> GeneratorBackend | None:
        return self.opening.backend

    def model_path(self) -> str:
        return self.opening.path

    def open_path(self, path: str | Path) -> None:
        self.opening.open_path(path)

    def open_default_model(self) -> bool:
        return self.opening.open_default_model()

    def open_startup_model(self) -> bool:
        return self.opening.open_startup_model()

    def open_dialog(self) -> None:
        self.opening.open_dialog()

    def open_folder_dialog(self) -> None:
        self.opening.open_folder_dialog()

    def set_live(self, on: bool) -> None:
        self.opening.set_live(on)

    def _on_snapshot(self, snapshot: object) -> None:
        self.opening.on_snapshot(snapshot)

    def is_closed(self) -> bool:
        return self._closed

    def show_model(self, backend: GeneratorBackend, path: str) -> None:
        """A newly opened model in the status bar, the info dock, the title and every tab that shows one."""
        label = backend_label(backend)
        self.backend_status.setText(label)
        self.source_status.setText(source_label(backend.info, path))
        self.info_panel.set_info(backend.info, label)
        self.explore.set_backend(backend, path)
        self.interpolate.set_backend(backend)
        self.project.set_backend(backend, path)
        self.map.set_backend(backend, path)
        name = Path(path).name if path else backend.info.source
        self.setWindowTitle(f"{name} — GAN Studio")

    # -- files --------------------------------------------------------------------------------------------

    def _guarded(self, title: str, action: Callable[[str], None], path: str, done: str) -> bool:
        try:
            action(path)
        except (OSError, ValueError) as exc:
            dialogs.show_error(self, title, str(exc))
            return False
        self.show_status(done)
        return True

    def save_image_dialog(self) -> None:
        if self.explore.current_picture() is None:
            return self.show_status("Nothing to save yet: open a model first")
        scale = self.explore.scale_spin.value()
        path = dialogs.ask_save_path(self, self.settings, "Save Image", "sample.png", dialogs.PNG_FILTER, ".png")
        if path:
            self._guarded(
                "Cannot save image",
                lambda p: self.explore.save_image(p, scale),
                path,
                f"Saved {Path(path).name} ({scale}×)",
            )

    def save_latent_dialog(self) -> None:
        path = dialogs.ask_save_path(self, self.settings, "Save Latent", "latent.json", dialogs.LATENT_FILTER, ".json")
        if path:
            self._guarded("Cannot save latent", self.explore.save_latent, path, f"Saved {Path(path).name}")

    def load_latent_dialog(self) -> None:
        path = dialogs.ask_open_file(self, self.settings, "Load Latent", dialogs.LATENT_FILTER)
        if path:
            self.load_latent(path)

    def load_latent(self, path: str) -> bool:
        try:
            self.explore.load_latent(path)
        except (LatentFileError, ValueError, OSError) as exc:
            dialogs.show_error(self, "Cannot load latent", str(exc))
            return False
        self.tabs.setCurrentWidget(self.explore)
        self.show_status(f"Loaded latent {Path(path).name}")
        return True

    def export_strip_dialog(self) -> None:
        self._export("Export Strip", "interpolation.png", dialogs.PNG_FILTER, ".png", self.interpolate.export_strip)

    def export_gif_dialog(self) -> None:
        self._export("Export GIF", "interpolation.gif", dialogs.GIF_FILTER, ".gif", self.interpolate.export_gif)

    def _export(self, title: str, name: str, file_filter: str, suffix: str, action: Callable[[str], None]) -> None:
        if not self.interpolate.frame_count():
            self.tabs.setCurrentWidget(self.interpolate)
            return self.show_status("Set keyframes A and B in the Interpolate tab first")
        path = dialogs.ask_save_path(self, self.settings, title, name, file_filter, suffix)
        if path:
            self._guarded(f"Cannot {title.lower()}", action, path, f"Saved {Path(path).name}")

    # -- misc ---------------------------------------------------------------------------------------------

    @Slot(str)
    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    @Slot(object)
    def _on_rendered(self, result: RenderResult) -> None:
        self.explore.on_rendered(result)
        self.interpolate.on_rendered(result)

    @Slot(str, object)
    def _on_keyframe(self, role: str, state: LatentState) -> None:
        self.interpolate.set_keyframe(role, state)
        self.show_status({"A": "Set interpolation A", "B": "Set interpolation B"}.get(role, "Added a keyframe"))

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About GAN Studio",
            f"<h3>GAN Studio {ganstudio.__version__}</h3><p>Train generative adversarial networks "
            "on small image datasets and explore what they learned.</p><p>Models: ONNX (run by "
            "onnxruntime) and GAN Studio checkpoints (run by PyTorch).</p>",
        )

    @staticmethod
    def _dropped_paths(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []

    def dragEnterEvent(self, event: QDragEnterEvent | QDragMoveEvent) -> None:
        paths = self._dropped_paths(event)
        if paths and (is_model_path(paths[0]) or is_latent_path(paths[0]) or is_png_path(paths[0])):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._dropped_paths(event)
        if not paths:
            return event.ignore()
        event.acceptProposedAction()
        path = paths[0]
        if is_latent_path(path):
            self.load_latent(path)
        else:
            self.open_path(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.train_panel is not None and self.train_panel.is_running():
            answer = QMessageBox.question(
                self,
                "Training is running",
                "Stop training and quit? The run is saved and can be resumed.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.Yes,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return event.ignore()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop training, save settings, stop the render thread and release the model. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.interpolate.play(False)
        # A progress dialog while the run saves; past its limit, wait for the save rather than lose it.
        if self.train_panel is not None and not self.train_panel.shutdown_with_feedback():
            self.train_panel.shutdown()
        self.save_settings()
        self.explore.directions_panel.shutdown()
        self.plane.shutdown()
        self.project.shutdown()
        self.map.shutdown()
        self.playground.shutdown()
        self.renderer.shutdown()
        if self.opening.backend is not None:
            self.opening.backend.close()  # the render thread has stopped: safe to close here
