"""The main window's menu bar: File, Edit, View and Help, plus the two menus whose items change.

`MainMenus` builds the actions and connects them to the window's public slots; it owns the menus that are
rebuilt while the app runs (Open Recent, Shipped Models) and the checkable actions whose state other parts
follow (the live generator, the full latent list).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from ganstudio.gui import dialogs
from ganstudio.gui.model_manager import shipped_models
from ganstudio.gui.tab_order import TABS, tab_shortcut
from ganstudio.paths import models_dir

if TYPE_CHECKING:
    from ganstudio.gui.main_window import MainWindow

Shortcut = QKeySequence.StandardKey | str | None


class MainMenus:
    def __init__(self, window: MainWindow) -> None:
        self._window = window
        bar = window.menuBar()
        self._build_file(bar.addMenu("&File"))
        self._build_edit(bar.addMenu("&Edit"))
        self._build_view(bar.addMenu("&View"))
        self._build_help(bar.addMenu("&Help"))

    def _action(
        self, text: str, slot: Callable[..., Any], shortcut: Shortcut = None, tip: str = "", checkable: bool = False
    ) -> QAction:
        action = QAction(text, self._window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(tip or text)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        return action

    def _build_file(self, file: QMenu) -> None:
        a, w, keys = self._action, self._window, QKeySequence.StandardKey
        file.addAction(a("&Open…", w.open_dialog, keys.Open, "Open a model: .onnx or .safetensors"))
        file.addAction(a("Open Run &Folder…", w.open_folder_dialog, "Ctrl+Shift+O", "Open a training run folder"))
        self.recent_menu = file.addMenu("Open &Recent")
        self.shipped_menu = file.addMenu("S&hipped Models")
        self.shipped_menu.aboutToShow.connect(self.rebuild_shipped)  # the folder may change while we run
        self.live_action = a(
            "Use &Live Training Generator",
            w.set_live,
            None,
            "Explore the generator of the training run as it learns (updates every few seconds)",
            checkable=True,
        )
        file.addAction(self.live_action)
        file.addSeparator()
        file.addAction(a("&Save Image…", w.save_image_dialog, keys.Save, "Save the current image as PNG"))
        file.addAction(a("Save &Latent…", w.save_latent_dialog, "Ctrl+Shift+S", "Save the current latent"))
        file.addAction(a("Load La&tent…", w.load_latent_dialog, "Ctrl+L", "Load a saved latent (.json, .npy)"))
        file.addAction(a("&Export Strip…", w.export_strip_dialog, "Ctrl+E", "Save the interpolation strip as PNG"))
        file.addAction(a("Export &GIF…", w.export_gif_dialog, "Ctrl+Shift+E", "Save the interpolation as GIF"))
        file.addSeparator()
        file.addAction(a("&Quit", w.close, keys.Quit, "Quit GAN Studio"))

    def _build_edit(self, edit: QMenu) -> None:
        a, explore = self._action, self._window.explore
        edit.addAction(a("&Copy Image", explore.copy_image, QKeySequence.StandardKey.Copy, "Copy the current image"))
        edit.addSeparator()
        edit.addAction(a("&Randomize", explore.randomize, "Ctrl+R", "A new random latent"))
        edit.addAction(a("Re&set", explore.reset, "Ctrl+0", "Back to the selected sample's latent"))
        edit.addAction(a("Reseed &Grid", lambda: explore.reseed(), "Ctrl+Shift+R", "New grid seed"))

    def _build_view(self, view: QMenu) -> None:
        a, w = self._action, self._window
        view.addAction(w.info_dock.toggleViewAction())
        w.info_dock.toggleViewAction().setShortcut(QKeySequence("Ctrl+I"))
        self.all_dims_action = a(
            "Show &Full Latent List",
            w.explore.sliders.set_show_all,
            None,
            "One slider for every latent dimension",
            checkable=True,
        )
        view.addAction(self.all_dims_action)
        view.addSeparator()
        for i, tab in enumerate(TABS):
            view.addAction(a(tab.title, lambda _=False, i=i: w.tabs.setCurrentIndex(i), tab_shortcut(i), tab.tip))

    def _build_help(self, help_menu: QMenu) -> None:
        a, w = self._action, self._window
        help_menu.addAction(a("&Keyboard Shortcuts", lambda: dialogs.ShortcutsDialog(w).exec(), "F1"))
        help_menu.addAction(a("&About GAN Studio", w.about))

    def set_live_checked(self, on: bool) -> None:
        """Show live mode on or off without asking the window to switch models."""
        self.live_action.blockSignals(True)
        self.live_action.setChecked(on)
        self.live_action.blockSignals(False)

    def rebuild_recent(self, paths: list[str]) -> None:
        self.recent_menu.clear()
        for path in paths:
            action = self.recent_menu.addAction(Path(path).name or path)
            action.triggered.connect(lambda _=False, p=path: self._window.open_path(p))
            action.setToolTip(path)
        if paths:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent").triggered.connect(self._window.models.clear_recent)
        self.recent_menu.setEnabled(bool(paths))
        self.recent_menu.setToolTipsVisible(True)

    def rebuild_shipped(self) -> None:
        self.shipped_menu.clear()
        for path in shipped_models():
            action = self.shipped_menu.addAction(path.stem)
            action.triggered.connect(lambda _=False, p=path: self._window.open_path(p))
            action.setToolTip(str(path))
        if not self.shipped_menu.actions():
            self.shipped_menu.addAction(f"No models in {models_dir()}").setEnabled(False)
        self.shipped_menu.setToolTipsVisible(True)
