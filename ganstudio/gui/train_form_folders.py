"""The Train form's data-source and run-folder controls: the dataset picker (built-ins, image folders and
"Choose folder..."), the data folder of MNIST / Fashion-MNIST files and the run folder, with their "..." buttons
and the checks on disk that the core configs cannot make. "Choose folder..." recognises a folder of MNIST /
Fashion-MNIST IDX files and selects that dataset with the folder as its data folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLineEdit, QToolButton, QWidget

from ganstudio.core.config import ConfigError
from ganstudio.core.data import DATA_ENV_VAR, builtin_dataset, default_download_dir, recognise_idx_folder
from ganstudio.core.options import Option
from ganstudio.gui.option_widgets import capitalised, combo_box, widget_row
from ganstudio.gui.train_form_settings import save_data_dir
from ganstudio.paths import CHECKPOINT_NAME, new_run_dir, runs_root

CHOOSE_FOLDER = "\x00choose"  # item data of the "Choose folder..." entry
BUILTIN_DATASETS = (("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST"))
DATA_DIR_LABEL = "Data folder"
RUN_DIR_LABEL = "Run folder"
DATA_DIR_TIP = (
    "The folder holding the MNIST or Fashion-MNIST files (the train pair, or the test pair alone; gzipped or not). "
    f"Empty: GAN Studio looks in the {DATA_ENV_VAR} folder and in {default_download_dir('mnist').parent}, "
    "and downloads the files there when they are missing"
)
RUN_DIR_TIP = f"Empty: a new folder under {runs_root()} for every run"

AskFolder = Callable[[QWidget | None, str, str], str]  # (parent, caption, start) -> folder, "" when cancelled


class FolderFields:
    """The dataset combo, data folder and run folder fields of one form; `ask_folder` shows the folder dialog."""

    def __init__(self, parent: QWidget, dataset: Option, ask_folder: AskFolder) -> None:
        self._parent = parent
        self._ask_folder = ask_folder
        self.dataset_combo = combo_box([*BUILTIN_DATASETS, (CHOOSE_FOLDER, "Choose folder...")], dataset.default)
        self.dataset_combo.setToolTip(capitalised(dataset.spec.help))
        self._dataset_index = self.dataset_combo.currentIndex()  # reselected when "Choose folder..." is cancelled
        self.data_dir_edit = QLineEdit()
        self.data_dir_edit.setPlaceholderText("automatic (downloaded when missing)")
        self.data_dir_edit.setToolTip(DATA_DIR_TIP)
        self.run_dir_edit = QLineEdit()
        self.run_dir_edit.setPlaceholderText("automatic (new folder per run)")
        self.run_dir_edit.setToolTip(RUN_DIR_TIP)
        self._typed_run_dir: str | None = None  # the user's run folder text while a run shows its own
        self.dataset_combo.activated.connect(self._dataset_activated)
        self.data_dir_edit.editingFinished.connect(self.save_data_dir)

    def add_rows(self, form: QFormLayout) -> None:
        """The data folder and run folder rows, each with a "..." button."""
        for label, edit, tip, browse in (
            (
                DATA_DIR_LABEL,
                self.data_dir_edit,
                "Choose the folder holding the MNIST or Fashion-MNIST files",
                self.browse_data_dir,
            ),
            (RUN_DIR_LABEL, self.run_dir_edit, "Choose the run folder", self.browse_run_dir),
        ):
            button = QToolButton()
            button.setText("...")
            button.setToolTip(tip)
            button.clicked.connect(browse)
            form.addRow(label, widget_row(edit, button, stretch=False))

    # ------------------------------------------------------------------ values
    def dataset_spec(self) -> str:
        return str(self.dataset_combo.currentData())

    def data_dir(self) -> str | None:
        """The folder to look for a built-in dataset's files in first; None for the automatic search."""
        text = self.data_dir_edit.text().strip()
        if not text or builtin_dataset(self.dataset_spec()) is None:
            return None
        return str(Path(text).expanduser())

    def run_dir(self, arch: str) -> str:
        """The run folder the user typed, or a fresh one, created now, named after the dataset and architecture."""
        text = self.run_dir_edit.text().strip()
        if text:
            return str(Path(text).expanduser())
        return str(new_run_dir(self.dataset_spec(), arch))

    def image_folders(self) -> list[str]:
        """The image folders added to the dataset list, oldest first."""
        first, last = len(BUILTIN_DATASETS), self.dataset_combo.count() - 1
        return [str(self.dataset_combo.itemData(i)) for i in range(first, last)]

    def check(self) -> None:
        """What only the disk can tell: raises ConfigError (field "data_dir" or "run_dir")."""
        data_dir = self.data_dir()
        if data_dir is not None and not Path(data_dir).is_dir():
            raise ConfigError(f"folder not found: {data_dir}", field="data_dir")
        run_dir = self.run_dir_edit.text().strip()
        if run_dir and (Path(run_dir).expanduser() / CHECKPOINT_NAME).exists():
            raise ConfigError(
                "this folder already holds a training run; choose another folder, "
                "or continue that run with Resume a run...",
                field="run_dir",
            )

    def update_enabled(self) -> None:
        self.data_dir_edit.setEnabled(builtin_dataset(self.dataset_spec()) is not None)

    # ------------------------------------------------------------------ editing
    def set_dataset(self, spec: str) -> None:
        """Select a built-in dataset by name or add and select a folder."""
        index = self.dataset_combo.findData(spec)
        if index < 0:
            index = self.dataset_combo.count() - 1
            self.dataset_combo.insertItem(index, Path(spec).name or spec, spec)
            self.dataset_combo.setItemData(index, spec, Qt.ItemDataRole.ToolTipRole)
        self.dataset_combo.setCurrentIndex(index)
        self._dataset_index = index

    def can_select(self, spec: str) -> bool:
        """Whether a saved dataset can be selected again: a built-in or a folder that still exists."""
        return spec != CHOOSE_FOLDER and (self.dataset_combo.findData(spec) >= 0 or Path(spec).is_dir())

    def save_data_dir(self) -> None:
        save_data_dir(self.data_dir_edit.text().strip())

    def show_active_run_dir(self, path: str) -> None:
        """Show the folder the run in progress writes to, in place of "automatic"."""
        if self._typed_run_dir is None:
            self._typed_run_dir = self.run_dir_edit.text()
        self.run_dir_edit.setText(path)
        self.run_dir_edit.setCursorPosition(len(path))  # the end of a long path says most
        self.run_dir_edit.setToolTip(f"This run's folder: {path}")

    def end_active_run_dir(self, path: str) -> None:
        """The run has ended: the field holds what the user had typed again; when that is "automatic" its
        placeholder names the last run's folder (in full in the tooltip)."""
        typed, self._typed_run_dir = self._typed_run_dir or "", None
        if typed and _same_folder(typed, path) and (Path(path) / CHECKPOINT_NAME).exists():
            typed = ""  # that folder now holds this run: the next Start gets a new folder rather than an error
        self.run_dir_edit.setText(typed)
        if not typed and Path(path).is_dir():  # an empty folder of a failed start is removed again
            self.run_dir_edit.setPlaceholderText(f"automatic (new folder per run); last run: {Path(path).name}")
            self.run_dir_edit.setToolTip(f"The last run is in {path}\n{RUN_DIR_TIP}")

    def _dataset_activated(self, index: int) -> None:
        if self.dataset_combo.itemData(index) != CHOOSE_FOLDER:
            self._dataset_index = index
            return
        folder = self._ask_folder(
            self._parent, "Choose a folder of training images (or of MNIST / Fashion-MNIST files)", ""
        )
        if not folder:
            self.dataset_combo.setCurrentIndex(self._dataset_index)
        elif not self._use_idx_folder(folder):
            self.set_dataset(folder)

    def _use_idx_folder(self, folder: str) -> bool:
        """Select the built-in dataset whose IDX files `folder` holds, with it as the data folder; False if none."""
        name = recognise_idx_folder(Path(folder))
        if name is None:
            return False
        self.set_dataset(name)
        self.data_dir_edit.setText(folder)
        self.save_data_dir()
        return True

    def browse_data_dir(self) -> None:
        start = self.data_dir_edit.text().strip() or str(Path.home())
        folder = self._ask_folder(self._parent, "Choose the folder holding the MNIST or Fashion-MNIST files", start)
        if folder and not self._use_idx_folder(folder):
            self.data_dir_edit.setText(folder)  # the dataset loader says what is missing there
            self.save_data_dir()

    def browse_run_dir(self) -> None:
        folder = self._ask_folder(self._parent, "Choose the run folder", str(runs_root()))
        if folder:
            self.run_dir_edit.setText(folder)


def _same_folder(a: str, b: str) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False
