"""Which model the window shows: opening files, folders and shipped models, the live training generator, and
routing a saved PNG to the sample it restores.

ModelManager loads models in the render thread; `ModelOpening` decides what to open (the last model at launch,
the shipped one, the live generator while training), owns the current backend and hands each newly opened one
to the window, which shows it in every tab. A backend that arrives too late (the window closed, or the user
left live mode) is retired, never shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from ganstudio.gui import dialogs
from ganstudio.gui.model_manager import backend_label, default_model
from ganstudio.gui.png_restore import is_png_path
from ganstudio.paths import models_dir
from ganstudio.runtime.backends import GeneratorBackend

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow


class ModelOpening(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.backend: GeneratorBackend | None = None
        self.path = ""  # file or folder of the current model ("" for the live generator)
        self._load_note = ""  # said with the next "Loaded" message (why this model was opened)
        window.models.opened.connect(self._on_opened)
        window.models.failed.connect(self._on_failed)

    def open_path(self, path: str | Path) -> None:
        """Open a model file or run folder (asynchronously); failures show a message, the old model stays.
        A PNG that GAN Studio saved restores the sample it records instead."""
        window = self._window
        if is_png_path(path):
            window.png_restorer.open(str(path))
            return
        window.menus.set_live_checked(False)  # leaving live mode for this file, not for the previous one
        window.models.open(str(path))

    def open_default_model(self) -> bool:
        path = default_model()
        if path is None:
            self._window.show_status(f"No shipped model in {models_dir()}: open a model (Ctrl+O) or train one")
            return False
        self.open_path(path)
        return True

    def open_startup_model(self) -> bool:
        """At launch: the model opened last, when it still exists; else the shipped model, saying why."""
        last = self._window.settings.last_model()
        if last and Path(last).exists():
            self.open_path(last)
            return True
        if last:
            self._load_note = f"The last model, {last}, is gone: opened the shipped model instead. "
        return self.open_default_model()

    def open_dialog(self) -> None:
        path = dialogs.ask_open_model(self._window, self._window.settings)
        if path:
            self.open_path(path)

    def open_folder_dialog(self) -> None:
        path = dialogs.ask_open_folder(self._window, self._window.settings)
        if path:
            self.open_path(path)

    @Slot(object, str)
    def _on_opened(self, backend: GeneratorBackend, path: str) -> None:
        window = self._window
        if window.is_closed() or (path == "" and not window.live_action.isChecked()):
            window.renderer.retire(backend)  # closed, or a late live snapshot after the user switched back
            return
        old, self.backend, self.path = self.backend, backend, path or self.path
        window.renderer.invalidate()
        if old is not None and old is not backend:
            window.renderer.retire(old)
        window.show_model(backend, path)
        name = Path(path).name if path else backend.info.source
        if path:
            window.settings.set_last_model(path)
            note, self._load_note = self._load_note, ""
            label = backend_label(backend)
            window.show_status(f"{note}Loaded {name} ({backend.info.latent_dim}-d latent, {label})")
        else:
            window.show_status(f"Exploring the {name}")

    @Slot(str, str)
    def _on_failed(self, path: str, message: str) -> None:
        window = self._window
        if window.is_closed():
            return
        what = Path(path).name if path else "the model"
        keep = " The previous model is still loaded." if self.backend is not None else ""
        window.show_status(f"Could not open {what}")
        dialogs.show_error(window, "Cannot open model", f"{message}\n\n{keep.strip()}".strip())

    @Slot(str)
    def on_model_ready(self, path: str) -> None:
        """A finished training run: open its model in Explore."""
        self._window.show_status(f"Opening the trained model {path}")
        self.open_path(path)
        self._window.tabs.setCurrentWidget(self._window.explore)

    @Slot(object)
    def on_snapshot(self, snapshot: object) -> None:
        if self._window.live_action.isChecked():
            self._window.models.open_snapshot(snapshot)

    def set_live(self, on: bool) -> None:
        window = self._window
        if on:
            if window.train_panel is None or not window.train_panel.is_running():
                window.show_status("The live generator appears once training runs (Train tab)")
        elif not self.path:
            self.open_default_model()
        elif self.backend is not None and self.backend.info.is_live:
            window.models.open(self.path)  # back to the file model
