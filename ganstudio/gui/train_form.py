"""The form for every training option. It holds no model state: on each edit it builds the core configs,
shows the core's validation message (ConfigError names the field) next to the field and below the form,
and says whether Start may be pressed. Defaults come from ModelConfig() / TrainConfig() themselves.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.config import DEVICES, IMAGE_SIZES, ConfigError, ModelConfig, TrainConfig

SETTINGS_KEY = "train/form_v1"
FOLDERS_KEY = "train/recent_folders_v1"
CHOOSE_FOLDER = "\x00choose"  # item data of the "Choose folder..." entry
DEFAULT_BUDGET = ("minutes", 3.0)
BUDGET_KINDS = (("minutes", "minutes"), ("epochs", "epochs"), ("steps", "steps"), ("none", "until stopped"))
ARCH_LABELS = {"dcgan": "DCGAN (convolutional)", "mlp": "MLP (fully connected)"}
LOSS_LABELS = {"hinge": "Hinge", "bce": "Non-saturating (BCE)", "wgan-gp": "WGAN-GP"}
LR_DECAY_LABELS = {"none": "constant", "linear": "linear to 0"}
AUGMENT_LABELS = {"none": "none", "translate": "translate", "translate-cutout": "translate + cutout"}
ERROR_STYLE = "border: 1px solid #d9534f; border-radius: 3px;"

# How the user sees each config field (ConfigError messages name these fields).
FIELD_LABELS = {
    "dataset": "Dataset",
    "arch": "Architecture",
    "loss": "Objective",
    "num_classes": "Class-conditional",
    "latent_dim": "Latent size",
    "image_size": "Image size",
    "channels": "Colour",
    "g_width": "G width",
    "d_width": "D width",
    "spectral_norm": "Spectral norm",
    "batch_size": "Batch size",
    "g_lr": "G learning rate",
    "d_lr": "D learning rate",
    "g_beta1": "G beta1",
    "g_beta2": "G beta2",
    "d_beta1": "D beta1",
    "d_beta2": "D beta2",
    "d_steps": "D steps per G step",
    "gp_weight": "Gradient penalty weight",
    "ema_decay": "EMA decay",
    "epochs": "Budget",
    "steps": "Budget",
    "minutes": "Budget",
    "seed": "Seed",
    "sample_every": "Save samples every",
    "checkpoint_every": "Checkpoint every",
    "device": "Device",
    "threads": "CPU threads",
    "run_dir": "Run folder",
    "g_layers": "G layers",
    "augment": "D augmentation",
    "lr_decay": "Learning rate schedule",
    "budget": "Budget",
    "metrics_every": "Metrics every",
}
DEFAULT_METRICS_EVERY = 200  # = metrics_worker.DEFAULT_EVERY_STEPS (not imported: that module pulls in more)


def choose_directory(parent: QWidget | None, caption: str, start: str = "") -> str:
    """Ask for a folder; "" when cancelled. Module-level so tests can replace it."""
    return QFileDialog.getExistingDirectory(parent, caption, start)


def default_runs_root() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("ganstudio", appauthor=False)) / "runs"


def new_run_name(dataset: str, arch: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(dataset).name or dataset).strip("-") or "data"
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{stem}-{arch}"


def _spin(low: int, high: int, value: int, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)  # wider than valid on purpose: the config, not the widget, says what is allowed
    box.setValue(value)
    if special:
        box.setSpecialValueText(special)
    return box


def _combo(items: list[tuple[object, str]], current: object) -> QComboBox:
    box = QComboBox()
    for data, text in items:
        box.addItem(text, data)
    box.setCurrentIndex(max(0, box.findData(current)))
    return box


def _number_edit(value: float) -> QLineEdit:
    edit = QLineEdit(f"{value:g}")
    edit.setMaximumWidth(90)
    return edit


def _parse_float(edit: QLineEdit, name: str) -> float:
    text = edit.text().strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {text}")
    return value


def _row(*widgets: QWidget, stretch: bool = True) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    for w in widgets:
        layout.addWidget(w)
    if stretch:
        layout.addStretch(1)
    return holder


class TrainForm(QWidget):
    """All options of a new training run; emits `validity_changed` as edits make it (in)valid."""

    changed = Signal()
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, restore: bool = True) -> None:
        super().__init__(parent)
        m, t = ModelConfig(), TrainConfig()
        self.dataset_combo = _combo(
            [("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST"), (CHOOSE_FOLDER, "Choose folder...")], t.dataset
        )
        self.dataset_combo.setToolTip(
            "MNIST and Fashion-MNIST are downloaded when missing; a folder of "
            "images trains on them (subfolders = classes)"
        )
        self.image_size_combo = _combo([(s, f"{s} x {s}") for s in IMAGE_SIZES], m.image_size)
        self.channels_combo = _combo([(1, "Grayscale"), (3, "RGB")], m.channels)
        self.arch_combo = _combo(list(ARCH_LABELS.items()), m.arch)
        self.loss_combo = _combo(list(LOSS_LABELS.items()), t.loss)
        self.conditional_check = QCheckBox("Class-conditional")
        self.conditional_check.setToolTip("Learn one generator per class label (needs labelled data)")
        self.conditional_check.setChecked(m.conditional)
        self.latent_spin = _spin(0, 4096, m.latent_dim)
        self.batch_spin = _spin(0, 8192, t.batch_size)
        self.budget_kind = _combo([(k, text) for k, text in BUDGET_KINDS], DEFAULT_BUDGET[0])
        self.budget_value = QDoubleSpinBox()
        self.budget_value.setRange(0, 1e9)
        self.budget_value.setValue(DEFAULT_BUDGET[1])
        self.run_dir_edit = QLineEdit()
        self.run_dir_edit.setPlaceholderText("automatic (new folder per run)")
        self.run_dir_edit.setToolTip(f"Empty: a new folder under {default_runs_root()} for every run")
        browse = QToolButton(text="...")
        browse.setToolTip("Choose the run folder")
        browse.clicked.connect(self._browse_run_dir)

        self.g_width_spin = _spin(0, 4096, m.g_width)
        self.d_width_spin = _spin(0, 4096, m.d_width)
        self.g_layers_spin = _spin(0, 8, m.g_layers)
        self.g_layers_spin.setToolTip(
            "MLP only: hidden layers in G, widths 4x, 8x, 16x the G width (3 = the classic 256-512-1024)"
        )
        self.augment_combo = _combo(list(AUGMENT_LABELS.items()), t.augment)
        self.augment_combo.setToolTip(
            "Random shifts (and cutout) applied to real and generated images alike "
            "before D (DiffAugment). Meant for folders of a few hundred images; on "
            "MNIST it slowed training down, so it is off by default"
        )
        self.spectral_check = QCheckBox("Spectral normalisation in D")
        self.spectral_check.setChecked(m.spectral_norm)
        self.g_lr_edit, self.d_lr_edit = _number_edit(t.g_lr), _number_edit(t.d_lr)
        self.g_beta1_edit, self.g_beta2_edit = _number_edit(t.g_beta1), _number_edit(t.g_beta2)
        self.d_beta1_edit, self.d_beta2_edit = _number_edit(t.d_beta1), _number_edit(t.d_beta2)
        self.d_steps_spin = _spin(0, 100, t.d_steps)
        self.gp_edit = _number_edit(t.gp_weight)
        self.ema_edit = _number_edit(t.ema_decay)
        self.ema_edit.setToolTip(
            "Average of G's weights used for samples and export, with batch-norm statistics "
            "re-estimated for it; 0 turns it off"
        )
        self.lr_decay_combo = _combo(list(LR_DECAY_LABELS.items()), t.lr_decay)
        self.lr_decay_combo.setToolTip(
            "Linear: both learning rates fall to 0 by the end of the budget (needs a budget, not 'until stopped')"
        )
        self.seed_spin = _spin(0, 2**31 - 1, t.seed)
        self.device_combo = _combo([(d, d) for d in DEVICES], t.device)
        self.threads_spin = _spin(0, 512, t.threads, special="auto")
        self.threads_spin.setToolTip(
            "Torch threads for training on the CPU. 0 = auto: all cores but one, so the window stays responsive"
        )
        self.metrics_every_spin = _spin(0, 10**7, DEFAULT_METRICS_EVERY, special="off")
        self.metrics_every_spin.setToolTip(
            "Measure FID, class coverage and mode collapse on 2,000 samples every "
            "this many steps (and at least 15 s apart) while training, and once at "
            "the end. MNIST and Fashion-MNIST only; 0 = off"
        )
        self.sample_every_spin = _spin(0, 10**7, t.sample_every)
        self.checkpoint_every_spin = _spin(0, 10**7, t.checkpoint_every)

        self._widgets = {
            "dataset": self.dataset_combo,
            "image_size": self.image_size_combo,
            "channels": self.channels_combo,
            "arch": self.arch_combo,
            "loss": self.loss_combo,
            "num_classes": self.conditional_check,
            "latent_dim": self.latent_spin,
            "batch_size": self.batch_spin,
            "budget": self.budget_value,
            "epochs": self.budget_value,
            "steps": self.budget_value,
            "minutes": self.budget_value,
            "run_dir": self.run_dir_edit,
            "g_width": self.g_width_spin,
            "d_width": self.d_width_spin,
            "g_layers": self.g_layers_spin,
            "augment": self.augment_combo,
            "lr_decay": self.lr_decay_combo,
            "spectral_norm": self.spectral_check,
            "g_lr": self.g_lr_edit,
            "d_lr": self.d_lr_edit,
            "g_beta1": self.g_beta1_edit,
            "g_beta2": self.g_beta2_edit,
            "d_beta1": self.d_beta1_edit,
            "d_beta2": self.d_beta2_edit,
            "d_steps": self.d_steps_spin,
            "gp_weight": self.gp_edit,
            "ema_decay": self.ema_edit,
            "seed": self.seed_spin,
            "device": self.device_combo,
            "threads": self.threads_spin,
            "sample_every": self.sample_every_spin,
            "checkpoint_every": self.checkpoint_every_spin,
            "metrics_every": self.metrics_every_spin,
        }

        basics = QGroupBox("Run")
        form = self._form(basics)
        form.addRow("Dataset", self.dataset_combo)
        form.addRow("Image size", _row(self.image_size_combo, self.conditional_check))
        form.addRow("Architecture", self.arch_combo)
        form.addRow("Objective", self.loss_combo)
        form.addRow("Latent size", _row(self.latent_spin, QLabel("Batch"), self.batch_spin))
        form.addRow("Budget", _row(self.budget_value, self.budget_kind))
        form.addRow("Run folder", _row(self.run_dir_edit, browse, stretch=False))

        self.advanced_button = QToolButton(text="Advanced options", checkable=True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setStyleSheet("QToolButton { border: none; font-weight: 600; padding: 2px; }")
        self.advanced_button.toggled.connect(self.set_advanced_visible)
        self.advanced = QWidget()
        adv_layout = QVBoxLayout(self.advanced)
        adv_layout.setContentsMargins(0, 0, 0, 0)

        networks = QGroupBox("Networks")
        net = self._form(networks)
        net.addRow("G width", _row(self.g_width_spin, QLabel("D width"), self.d_width_spin))
        net.addRow("G layers", _row(self.g_layers_spin, QLabel("D augmentation"), self.augment_combo))
        net.addRow("", self.spectral_check)

        optimiser = QGroupBox("Optimiser (Adam)")
        grid = QGridLayout(optimiser)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(5)
        for col, text in enumerate(("learning rate", "beta1", "beta2"), start=1):
            grid.addWidget(QLabel(text), 0, col)
        grid.addWidget(QLabel("G"), 1, 0, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(QLabel("D"), 2, 0, Qt.AlignmentFlag.AlignRight)
        for col, (g_edit, d_edit) in enumerate(
            (
                (self.g_lr_edit, self.d_lr_edit),
                (self.g_beta1_edit, self.d_beta1_edit),
                (self.g_beta2_edit, self.d_beta2_edit),
            ),
            start=1,
        ):
            grid.addWidget(g_edit, 1, col)
            grid.addWidget(d_edit, 2, col)
        more = self._form(None)
        more.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        more.addRow("D steps per G step", self.d_steps_spin)
        more.addRow("Gradient penalty", self.gp_edit)
        more.addRow("EMA decay", self.ema_edit)
        more.addRow("Schedule", self.lr_decay_combo)
        grid.addLayout(more, 3, 0, 1, 4)

        runtime = QGroupBox("Data and run")
        run = self._form(runtime)
        run.addRow("Colour", _row(self.channels_combo, QLabel("Seed"), self.seed_spin))
        run.addRow("Device", _row(self.device_combo, QLabel("CPU threads"), self.threads_spin))
        run.addRow("Samples every", _row(self.sample_every_spin, QLabel("steps")))
        run.addRow("Checkpoint every", _row(self.checkpoint_every_spin, QLabel("steps")))
        run.addRow("Metrics every", _row(self.metrics_every_spin, QLabel("steps")))
        reset = QPushButton("Reset all to defaults")
        reset.clicked.connect(self.reset_defaults)
        run.addRow("", _row(reset))
        for box in (networks, optimiser, runtime):
            adv_layout.addWidget(box)
        self.advanced.setVisible(False)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet("color: #d9534f;")
        self.error_label.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(basics)
        layout.addWidget(self.advanced_button)
        layout.addWidget(self.advanced)
        layout.addWidget(self.error_label)
        layout.addStretch(1)

        self._draft: tuple[ModelConfig, TrainConfig] | None = None  # built configs, before the run-folder check
        self._model: ModelConfig | None = None
        self._train: TrainConfig | None = None
        self._error = ""
        self._error_field = ""
        self._valid = False
        self._dataset_index = self.dataset_combo.currentIndex()
        self.dataset_combo.activated.connect(self._dataset_activated)
        for w in self._widgets.values():
            signal = next(n for n in ("currentIndexChanged", "valueChanged", "toggled", "textChanged") if hasattr(w, n))
            getattr(w, signal).connect(self.revalidate)
        self.budget_kind.currentIndexChanged.connect(self.revalidate)
        if restore:
            self.restore_settings()
        self.revalidate()

    @staticmethod
    def _form(parent: QWidget | None) -> QFormLayout:
        form = QFormLayout(parent)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(5)
        return form

    # ------------------------------------------------------------------ results
    def is_valid(self) -> bool:
        return self._valid

    def error(self) -> str:
        return self._error

    def error_field(self) -> str:
        return self._error_field

    def configs(self) -> tuple[ModelConfig, TrainConfig]:
        if not self._valid or self._model is None or self._train is None:
            raise ConfigError(self._error or "the form is not valid")
        return self._model, self._train

    def resume_configs(self) -> tuple[ModelConfig, TrainConfig]:
        """The configs for continuing a run: only the budget and device matter, so the run folder may be taken."""
        if self._valid or (self._error_field == "run_dir" and self._draft is not None):
            return self._draft if not self._valid else self.configs()
        raise ConfigError(self._error or "the form is not valid")

    def conditional(self) -> bool:
        return self.conditional_check.isChecked()

    def metrics_every(self) -> int:
        """Steps between live quality measurements (0 = off). A GUI option: not part of the core configs."""
        return self.metrics_every_spin.value()

    def dataset_spec(self) -> str:
        return str(self.dataset_combo.currentData())

    def run_dir(self) -> str:
        """The run folder the user typed, or a fresh one named after the time, dataset and architecture."""
        text = self.run_dir_edit.text().strip()
        if text:
            return str(Path(text).expanduser())
        return str(default_runs_root() / new_run_name(self.dataset_spec(), str(self.arch_combo.currentData())))

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

    def set_advanced_visible(self, visible: bool) -> None:
        self.advanced.setVisible(visible)
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if visible else Qt.ArrowType.RightArrow)
        if self.advanced_button.isChecked() != visible:
            self.advanced_button.setChecked(visible)

    def reset_defaults(self) -> None:
        """Every option back to the core defaults (and the default budget); the dataset stays."""
        fresh = TrainForm(restore=False)
        values = {k: v for k, v in fresh.values().items() if k != "dataset"}
        fresh.deleteLater()
        self.set_values(values)

    def _dataset_activated(self, index: int) -> None:
        if self.dataset_combo.itemData(index) != CHOOSE_FOLDER:
            self._dataset_index = index
            return
        folder = choose_directory(self, "Choose a folder of training images")
        if folder:
            self.set_dataset(folder)
        else:
            self.dataset_combo.setCurrentIndex(self._dataset_index)

    def _browse_run_dir(self) -> None:
        folder = choose_directory(self, "Choose the run folder", str(default_runs_root()))
        if folder:
            self.run_dir_edit.setText(folder)

    # ------------------------------------------------------------------ validation
    def _build(self) -> tuple[ModelConfig, TrainConfig]:
        kind, amount = self.budget_kind.currentData(), self.budget_value.value()
        if kind != "none" and amount <= 0:
            raise ConfigError(f"budget must be more than 0 {kind} (or choose 'until stopped')")
        budget = {} if kind == "none" else {kind: int(round(amount)) if kind == "steps" else float(amount)}
        model = ModelConfig(
            arch=self.arch_combo.currentData(),
            latent_dim=self.latent_spin.value(),
            image_size=self.image_size_combo.currentData(),
            channels=self.channels_combo.currentData(),
            num_classes=10 if self.conditional() else 0,  # the real count comes from the data at Start
            g_width=self.g_width_spin.value(),
            d_width=self.d_width_spin.value(),
            spectral_norm=self.spectral_check.isChecked(),
            g_layers=self.g_layers_spin.value(),
        )
        floats = {
            name: _parse_float(self._widgets[name], name)
            for name in ("g_lr", "d_lr", "g_beta1", "g_beta2", "d_beta1", "d_beta2", "gp_weight", "ema_decay")
        }
        train = TrainConfig(
            dataset=self.dataset_spec(),
            loss=self.loss_combo.currentData(),
            batch_size=self.batch_spin.value(),
            d_steps=self.d_steps_spin.value(),
            seed=self.seed_spin.value(),
            device=self.device_combo.currentData(),
            threads=self.threads_spin.value(),
            sample_every=self.sample_every_spin.value(),
            checkpoint_every=self.checkpoint_every_spin.value(),
            augment=self.augment_combo.currentData(),
            lr_decay=self.lr_decay_combo.currentData(),
            **floats,
            **budget,
        )
        self._draft = (model, train)
        run_dir = self.run_dir_edit.text().strip()
        if run_dir and (Path(run_dir).expanduser() / "checkpoint.safetensors").exists():
            raise ConfigError(
                "run_dir already holds a training run; choose another folder, or continue that run with Resume a run..."
            )
        return model, train

    def revalidate(self, *_args) -> None:
        """Build the configs from the fields again (also checks the run folder on disk)."""
        self.budget_value.setEnabled(self.budget_kind.currentData() != "none")
        self.budget_value.setDecimals(0 if self.budget_kind.currentData() == "steps" else 2)
        self.gp_edit.setEnabled(self.loss_combo.currentData() == "wgan-gp")
        self.g_layers_spin.setEnabled(self.arch_combo.currentData() == "mlp")
        was_valid = self._valid
        self._draft = None
        try:
            self._model, self._train = self._build()
            self._valid, self._error, self._error_field = True, "", ""
        except ConfigError as exc:
            self._model = self._train = None
            self._valid, self._error_field = False, self._field_of(str(exc))
            label = FIELD_LABELS.get(self._error_field, "")
            self._error = f"{label}: {exc}" if label else str(exc)
        self._show_error()
        self.changed.emit()
        if self._valid != was_valid:
            self.validity_changed.emit(self._valid)

    def _field_of(self, message: str) -> str:
        head = re.split(r"[\s:,]", message.strip(), maxsplit=1)[0]
        if head in self._widgets:
            return head
        return next((name for name in self._widgets if re.search(rf"\b{name}\b", message)), "")

    def _show_error(self) -> None:
        marked = self._widgets.get(self._error_field)
        for w in set(self._widgets.values()):
            style = ERROR_STYLE if w is marked else ""
            if w.styleSheet() != style:
                w.setStyleSheet(style)
            if w is not marked and w.toolTip().startswith("Invalid: "):
                w.setToolTip("")
        if marked is not None:
            if not marked.toolTip() or marked.toolTip().startswith("Invalid: "):
                marked.setToolTip(f"Invalid: {self._error}")
            if self.advanced.isAncestorOf(marked):
                self.set_advanced_visible(True)
        self.error_label.setText(self._error)
        self.error_label.setVisible(bool(self._error))

    # ------------------------------------------------------------------ settings
    def values(self) -> dict:
        """The form's contents as JSON-friendly values (for QSettings)."""
        out: dict = {}
        for name, w in self._widgets.items():
            if isinstance(w, QComboBox):
                out[name] = w.currentData()
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                out[name] = w.value()
            elif isinstance(w, QCheckBox):
                out[name] = w.isChecked()
            elif isinstance(w, QLineEdit):
                out[name] = w.text()
        for transient in ("epochs", "steps", "minutes", "run_dir"):  # a used run folder is not reusable
            out.pop(transient, None)
        out["budget_kind"] = self.budget_kind.currentData()
        out["advanced"] = self.advanced_button.isChecked()
        return out

    def set_values(self, values: dict) -> None:
        """Apply saved values; unknown or unusable entries are skipped, not fatal."""
        ordered = sorted(values.items(), key=lambda item: item[0] != "budget_kind")  # decimals before amount
        for name, value in ordered:
            w = self._widgets.get(name) if name != "budget_kind" else self.budget_kind
            try:
                if name == "dataset":
                    if value != CHOOSE_FOLDER and (self.dataset_combo.findData(value) >= 0 or Path(value).is_dir()):
                        self.set_dataset(value)
                elif isinstance(w, QComboBox) and w.findData(value) >= 0:
                    w.setCurrentIndex(w.findData(value))
                elif isinstance(w, QDoubleSpinBox):
                    w.setValue(float(value))
                elif isinstance(w, QSpinBox):
                    w.setValue(int(value))
                elif isinstance(w, QCheckBox):
                    w.setChecked(bool(value))
                elif isinstance(w, QLineEdit):
                    w.setText(str(value))
            except (TypeError, ValueError):
                continue
        if "advanced" in values:
            self.set_advanced_visible(bool(values["advanced"]))
        self.revalidate()

    def save_settings(self) -> None:
        settings = QSettings()
        settings.setValue(SETTINGS_KEY, json.dumps(self.values()))
        folders = [self.dataset_combo.itemData(i) for i in range(2, self.dataset_combo.count() - 1)]
        settings.setValue(FOLDERS_KEY, json.dumps(folders[-5:]))

    def restore_settings(self) -> None:
        settings = QSettings()
        try:
            folders = json.loads(str(settings.value(FOLDERS_KEY, "[]")))
            values = json.loads(str(settings.value(SETTINGS_KEY, "{}")))
        except (json.JSONDecodeError, TypeError):
            return
        for folder in folders if isinstance(folders, list) else []:
            if isinstance(folder, str) and Path(folder).is_dir():
                self.set_dataset(folder)
        if isinstance(values, dict):
            self.set_values({**{"dataset": self.dataset_combo.itemData(0)}, **values})
