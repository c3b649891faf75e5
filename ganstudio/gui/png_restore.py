"""Opening or dropping a PNG that GAN Studio saved: restore the sample it records.

When the picture came from another model than the one open, it says so; when that model is shipped or was
opened recently (found by its file hash), it offers to open it and then restores the sample there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QMessageBox

from ganstudio.gui.dialogs import show_error
from ganstudio.gui.model_manager import shipped_models
from ganstudio.runtime.model_hash import find_model_by_hash
from ganstudio.runtime.png_state import PngStateError, SampleState, read_png_state

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow


def is_png_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".png"


class PngRestorer(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._pending: tuple[SampleState, str] | None = None  # restored once the model that made it is open
        window.models.opened.connect(self._on_opened)

    def open(self, path: str) -> bool:
        """Restore the sample a PNG records; False (after saying why) when it cannot."""
        window, name = self._window, Path(path).name
        try:
            saved = read_png_state(path)
        except PngStateError as exc:
            show_error(window, "Cannot restore the sample", str(exc))
            return False
        current = window.explore.model_sha256() if window.backend() is not None else ""
        if saved.model_sha256 and saved.model_sha256 != current:
            candidates = [*shipped_models(), *(Path(p) for p in window.models.recent_files())]
            maker = find_model_by_hash(saved.model_sha256, candidates)
            # With no model open yet (`ganstudio IMAGE.png`) there is nothing to ask: open the one that made it.
            if maker is not None and (window.backend() is None or self._ask_to_open(name, maker)):
                self._pending = (saved, name)
                window.open_path(maker)
                return True
            if window.backend() is None:
                show_error(window, "Cannot restore the sample", f"{name} needs its model: open it first")
                return False
            return self._apply(saved, name, " — made by another model (not shipped or recent), shown with this one")
        return self._apply(saved, name, "")

    def _ask_to_open(self, name: str, maker: Path) -> bool:
        answer = QMessageBox.question(
            self._window,
            "Open the model that made it?",
            f"{name} was made by {maker.name}, not by the model open now. Open {maker.name} and restore the sample?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _apply(self, saved: SampleState, name: str, note: str) -> bool:
        window = self._window
        try:
            extra = window.explore.restore_sample(saved)
        except ValueError as exc:
            show_error(window, "Cannot restore the sample", str(exc))
            return False
        window.tabs.setCurrentWidget(window.explore)
        window.show_status(f"Restored the sample saved in {name}{note}{extra}")
        return True

    @Slot(object, str)
    def _on_opened(self, _backend: object, path: str) -> None:
        if self._pending is not None and path:
            (saved, name), self._pending = self._pending, None
            # After every slot of `opened` has run: the window shows the new model first, then its sample.
            QTimer.singleShot(0, lambda: self._apply(saved, name, f" (with {Path(path).name}, the model that made it)"))
