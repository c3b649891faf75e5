"""The form for every training option. It holds no model state: on each edit it builds the core configs,
shows the core's validation message next to the field it names (`ConfigError.field`) and below the form,
and says whether Start may be pressed.

Widgets, labels, tooltips, rows and the keyword build are generated from the option declarations of
ModelConfig / TrainConfig (core/options.py), defaults included. Only the compound controls are built by hand:
the dataset picker, the budget ("amount + kind"), the data folder of MNIST / Fashion-MNIST files, the run folder
and the metrics interval (app options). "Choose folder..." recognises a folder of MNIST / Fashion-MNIST IDX files
and selects that dataset with the folder as its data folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ganstudio.core.config import BUDGET_FIELDS, ConfigError, ModelConfig, TrainConfig
from ganstudio.core.data import DATA_ENV_VAR, builtin_dataset, default_download_dir, recognise_idx_folder
from ganstudio.core.options import BUDGET, CHECK, COMBO, CONDITIONAL, DATASET, NUMBER, SPIN, Option, options_of
from ganstudio.gui.option_widgets import (
    BudgetSpinBox,
    capitalised,
    changed_signal,
    combo_box,
    form_layout,
    option_widget,
    parse_float,
    set_widget_value,
    spin_box,
    widget_row,
    widget_value,
)
from ganstudio.gui.train_form_hints import width_hints
from ganstudio.paths import CHECKPOINT_NAME, new_run_dir, runs_root
from ganstudio.runtime.metrics_schedule import DEFAULT_EVERY_STEPS as DEFAULT_METRICS_EVERY

SETTINGS_KEY = "train/form_v1"
FOLDERS_KEY = "train/recent_folders_v1"
DATA_DIR_KEY = "train/data_dir_v1"  # saved as soon as it is chosen, not only when a run starts
CHOOSE_FOLDER = "\x00choose"  # item data of the "Choose folder..." entry
BUILTIN_DATASETS = (("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST"))
DEFAULT_BUDGET = ("minutes", 3.0)
BUDGET_KINDS = (("minutes", "minutes"), ("epochs", "epochs"), ("steps", "steps"), ("none", "until stopped"))
ERROR_STYLE = "border: 1px solid #d9534f; border-radius: 3px;"
DATA_DIR_TIP = (
    "The folder holding the MNIST or Fashion-MNIST files (the train pair, or the test pair alone; gzipped or not). "
    f"Empty: GAN Studio looks in the {DATA_ENV_VAR} folder and in {default_download_dir('mnist').parent}, "
    "and downloads the files there when they are missing"
)
CONDITIONAL_CLASSES = 10  # a placeholder count while editing; the real one comes from the data at Start

# The form's sections, in order: (group of the declarations, title, shown only under "Advanced options").
SECTIONS = (
    ("basic", "Run", False),
    ("networks", "Networks", True),
    ("optimiser", "Optimiser (Adam)", True),
    ("run", "Data and run", True),
)
# Names of the hand-built controls that are not config fields.
EXTRA_LABELS = {
    "budget": "Budget",
    "data_dir": "Data folder",
    "run_dir": "Run folder",
    "metrics_every": "Metrics every",
}
# Attribute names the form's widgets had before they were generated (`<field>_<kind>` is the rule otherwise).
_LEGACY_NAMES = {
    "latent_spin": "latent_dim",
    "batch_spin": "batch_size",
    "gp_edit": "gp_weight",
    "ema_edit": "ema_decay",
    "spectral_check": "spectral_norm",
    "conditional_check": "num_classes",
}
_SUFFIX = {COMBO: "combo", SPIN: "spin", NUMBER: "edit", CHECK: "check", CONDITIONAL: "check"}


def choose_directory(parent: QWidget | None, caption: str, start: str = "") -> str:
    """Ask for a folder; "" when cancelled. Module-level so tests can replace it."""
    return QFileDialog.getExistingDirectory(parent, caption, start)


def form_options() -> list[Option]:
    """The user-facing declared options, model first (the form's order within a row)."""
    return [opt for cls in (ModelConfig, TrainConfig) for opt in options_of(cls) if opt.user_facing]


def field_label(name: str) -> str:
    """How the user sees a field or control (error messages name it so)."""
    for opt in form_options():
        if opt.name == name:
            return opt.spec.label
    return EXTRA_LABELS.get(name, "")


class TrainForm(QWidget):
    """All options of a new training run; emits `validity_changed` as edits make it (in)valid."""

    changed = Signal()
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, restore: bool = True) -> None:
        super().__init__(parent)
        self._options = {opt.name: opt for opt in form_options()}
        self._widgets: dict[str, QWidget] = {}  # config field (or EXTRA_LABELS name) -> the widget that edits it
        self._build_compound_controls()
        for opt in self._options.values():
            if opt.widget not in (DATASET, BUDGET):
                self._widgets[opt.name] = widget = option_widget(opt)
                setattr(self, f"{opt.name}_{_SUFFIX[opt.widget]}", widget)
        for name in BUDGET_FIELDS:
            self._widgets[name] = self.budget_value
        self._lay_out()

        self._draft: tuple[ModelConfig, TrainConfig] | None = None  # built configs, before the run-folder check
        self._model: ModelConfig | None = None
        self._train: TrainConfig | None = None
        self._error = ""
        self._error_field = ""
        self._valid = False
        self._typed_run_dir: str | None = None  # the user's run folder text while a run shows its own
        self._connect()
        if restore:
            self.restore_settings()
        self.revalidate()

    def __getattr__(self, name: str) -> Any:
        widgets = self.__dict__.get("_widgets", {})
        if name in _LEGACY_NAMES and _LEGACY_NAMES[name] in widgets:
            return widgets[_LEGACY_NAMES[name]]
        raise AttributeError(name)

    def widget(self, name: str) -> QWidget | None:
        """The widget that edits a config field (or "budget", "run_dir", "metrics_every")."""
        return self._widgets.get(name)

    # ------------------------------------------------------------------ building
    def _build_compound_controls(self) -> None:
        dataset = self._options["dataset"]
        self.dataset_combo = combo_box([*BUILTIN_DATASETS, (CHOOSE_FOLDER, "Choose folder...")], dataset.default)
        self.dataset_combo.setToolTip(capitalised(dataset.spec.help))
        self._dataset_index = self.dataset_combo.currentIndex()
        self.budget_kind = combo_box(list(BUDGET_KINDS), DEFAULT_BUDGET[0])
        self.budget_value = BudgetSpinBox(DEFAULT_BUDGET[1])
        self.data_dir_edit = QLineEdit()
        self.data_dir_edit.setPlaceholderText("automatic (downloaded when missing)")
        self.data_dir_edit.setToolTip(DATA_DIR_TIP)
        self.run_dir_edit = QLineEdit()
        self.run_dir_edit.setPlaceholderText("automatic (new folder per run)")
        self.run_dir_edit.setToolTip(f"Empty: a new folder under {runs_root()} for every run")
        self.metrics_every_spin = spin_box(0, 10**7, DEFAULT_METRICS_EVERY, special="off")
        self.metrics_every_spin.setToolTip(
            "Measure FID, class coverage and mode collapse on 2,000 samples every "
            "this many steps (and at least 15 s apart) while training, and once at "
            "the end. MNIST and Fashion-MNIST only; 0 = off"
        )
        self._widgets.update(
            dataset=self.dataset_combo,
            budget=self.budget_value,
            data_dir=self.data_dir_edit,
            run_dir=self.run_dir_edit,
            metrics_every=self.metrics_every_spin,
        )

    def _lay_out(self) -> None:
        self.advanced_button = QToolButton()
        self.advanced_button.setText("Advanced options")
        self.advanced_button.setCheckable(True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setStyleSheet("QToolButton { border: none; font-weight: 600; padding: 2px; }")
        self.advanced_button.toggled.connect(self.set_advanced_visible)
        self.advanced = QWidget()
        advanced_layout = QVBoxLayout(self.advanced)
        advanced_layout.setContentsMargins(0, 0, 0, 0)
        self.advanced.setVisible(False)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet("color: #d9534f;")
        self.error_label.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for group, title, advanced in SECTIONS:
            box = self._section(group, title)
            if advanced:
                advanced_layout.addWidget(box)
            else:
                layout.addWidget(box)
                layout.addWidget(self.advanced_button)
                layout.addWidget(self.advanced)
        layout.addWidget(self.error_label)
        layout.addStretch(1)

    def _section(self, group: str, title: str) -> QGroupBox:
        """One group box: a grid of the group's `cell` options (if any) above form rows of the others."""
        box = QGroupBox(title)
        members = [opt for opt in self._options.values() if opt.spec.group == group]
        cells = [opt for opt in members if opt.spec.cell is not None]
        if cells:
            grid = QGridLayout(box)
            grid.setHorizontalSpacing(6)
            grid.setVerticalSpacing(5)
            self._fill_grid(grid, cells)
            form = form_layout()
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
            grid.addLayout(form, grid.rowCount(), 0, 1, grid.columnCount())
        else:
            form = form_layout(box)
        self._fill_rows(form, [opt for opt in members if opt.spec.cell is None])
        self._add_extra_rows(group, form)
        return box

    def _fill_grid(self, grid: QGridLayout, cells: list[Option]) -> None:
        rows: list[str] = []
        columns: list[str] = []
        for opt in cells:
            row, column = opt.spec.cell or ("", "")
            rows += [row] if row not in rows else []
            columns += [column] if column not in columns else []
        for col, text in enumerate(columns, start=1):
            grid.addWidget(QLabel(text), 0, col)
        for r, text in enumerate(rows, start=1):
            grid.addWidget(QLabel(text), r, 0, Qt.AlignmentFlag.AlignRight)
        for opt in cells:
            row, column = opt.spec.cell or ("", "")
            grid.addWidget(self._widgets[opt.name], rows.index(row) + 1, columns.index(column) + 1)

    def _fill_rows(self, form: QFormLayout, members: list[Option]) -> None:
        """Options with the same `row` share a form row: the first one's label heads it, the others get an inline
        label (check boxes carry their own)."""
        for row in sorted({opt.spec.row for opt in members}):
            in_row = [opt for opt in members if opt.spec.row == row]
            parts: list[QWidget] = []
            for opt in in_row:
                if opt.widget == BUDGET:
                    if self.budget_value not in parts:
                        parts += [self.budget_value, self.budget_kind]
                    continue
                if parts and opt.widget not in (CHECK, CONDITIONAL):
                    parts.append(QLabel(opt.spec.label))
                parts.append(self._widgets[opt.name])
                if opt.spec.suffix:
                    parts.append(QLabel(opt.spec.suffix))
            head = in_row[0]
            label = "" if head.widget in (CHECK, CONDITIONAL) else head.spec.label
            form.addRow(label, parts[0] if len(parts) == 1 else widget_row(*parts))

    def _add_extra_rows(self, group: str, form: QFormLayout) -> None:
        if group == "basic":
            browse_data = QToolButton()
            browse_data.setText("...")
            browse_data.setToolTip("Choose the folder holding the MNIST or Fashion-MNIST files")
            browse_data.clicked.connect(self._browse_data_dir)
            form.addRow(EXTRA_LABELS["data_dir"], widget_row(self.data_dir_edit, browse_data, stretch=False))
            browse = QToolButton()
            browse.setText("...")
            browse.setToolTip("Choose the run folder")
            browse.clicked.connect(self._browse_run_dir)
            form.addRow(EXTRA_LABELS["run_dir"], widget_row(self.run_dir_edit, browse, stretch=False))
        elif group == "run":
            form.addRow(EXTRA_LABELS["metrics_every"], widget_row(self.metrics_every_spin, QLabel("steps")))
            reset = QPushButton("Reset all to defaults")
            reset.clicked.connect(self.reset_defaults)
            form.addRow("", widget_row(reset))

    def _connect(self) -> None:
        self.dataset_combo.activated.connect(self._dataset_activated)
        for w in set(self._widgets.values()):
            changed_signal(w).connect(self.revalidate)
        self.budget_kind.currentIndexChanged.connect(self.revalidate)
        self.data_dir_edit.editingFinished.connect(self.save_data_dir)

    # ------------------------------------------------------------------ results
    def is_valid(self) -> bool:
        return self._valid

    def error(self) -> str:
        return self._error

    def error_field(self) -> str:
        return self._error_field

    def configs(self) -> tuple[ModelConfig, TrainConfig]:
        if not self._valid or self._model is None or self._train is None:
            raise ConfigError(self._error or "the form is not valid", field=self._error_field)
        return self._model, self._train

    def resume_configs(self) -> tuple[ModelConfig, TrainConfig]:
        """The configs for continuing a run: only the budget and device matter, so the run folder may be taken."""
        if self._valid:
            return self.configs()
        if self._error_field == "run_dir" and self._draft is not None:
            return self._draft
        raise ConfigError(self._error or "the form is not valid", field=self._error_field)

    def conditional(self) -> bool:
        return self.conditional_check.isChecked()

    def metrics_every(self) -> int:
        """Steps between live quality measurements (0 = off). An app option: not part of the core configs."""
        return self.metrics_every_spin.value()

    def dataset_spec(self) -> str:
        return str(self.dataset_combo.currentData())

    def budget(self) -> dict[str, Any]:
        """The budget as TrainConfig fields ({} = until stopped); raises ConfigError for an empty amount."""
        kind, amount = self.budget_kind.currentData(), self.budget_value.value()
        if kind == "none":
            return {}
        if amount <= 0:
            raise ConfigError(f"budget must be more than 0 {kind} (or choose 'until stopped')", field="budget")
        if kind == "steps" and amount != round(amount):
            raise ConfigError(f"a budget in steps must be a whole number, got {amount:g}", field="budget")
        return {kind: round(amount) if kind == "steps" else float(amount)}

    def data_dir(self) -> str | None:
        """The folder to look for a built-in dataset's files in first; None for the automatic search."""
        text = self.data_dir_edit.text().strip()
        if not text or builtin_dataset(self.dataset_spec()) is None:
            return None
        return str(Path(text).expanduser())

    def run_dir(self) -> str:
        """The run folder the user typed, or a fresh one, created now, named after the dataset and architecture."""
        text = self.run_dir_edit.text().strip()
        if text:
            return str(Path(text).expanduser())
        return str(new_run_dir(self.dataset_spec(), str(self.arch_combo.currentData())))

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
            self.run_dir_edit.setToolTip(
                f"The last run is in {path}\nEmpty: a new folder under {runs_root()} for every run"
            )

    def set_advanced_visible(self, visible: bool) -> None:
        self.advanced.setVisible(visible)
        self.advanced_button.setArrowType(Qt.ArrowType.DownArrow if visible else Qt.ArrowType.RightArrow)
        if self.advanced_button.isChecked() != visible:
            self.advanced_button.setChecked(visible)

    @staticmethod
    def default_values() -> dict[str, Any]:
        """The values() of a fresh form, read from the config declarations (the dataset and run folder aside)."""
        values: dict[str, Any] = {}
        for opt in form_options():
            if opt.widget in (COMBO, SPIN, CHECK):
                values[opt.name] = opt.default
            elif opt.widget == NUMBER:
                values[opt.name] = f"{opt.default:g}"
            elif opt.widget == CONDITIONAL:
                values[opt.name] = bool(opt.default)
        kind, amount = DEFAULT_BUDGET
        values.update(budget_kind=kind, budget=amount, metrics_every=DEFAULT_METRICS_EVERY, advanced=False)
        return values

    def reset_defaults(self) -> None:
        """Every option back to the core defaults (and the default budget); the dataset stays."""
        self.set_values(self.default_values())

    def _dataset_activated(self, index: int) -> None:
        if self.dataset_combo.itemData(index) != CHOOSE_FOLDER:
            self._dataset_index = index
            return
        folder = choose_directory(self, "Choose a folder of training images (or of MNIST / Fashion-MNIST files)")
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

    def _browse_data_dir(self) -> None:
        start = self.data_dir_edit.text().strip() or str(Path.home())
        folder = choose_directory(self, "Choose the folder holding the MNIST or Fashion-MNIST files", start)
        if folder and not self._use_idx_folder(folder):
            self.data_dir_edit.setText(folder)  # the dataset loader says what is missing there
            self.save_data_dir()

    def _browse_run_dir(self) -> None:
        folder = choose_directory(self, "Choose the run folder", str(runs_root()))
        if folder:
            self.run_dir_edit.setText(folder)

    # ------------------------------------------------------------------ validation
    def _value(self, opt: Option) -> Any:
        """The config value a plain option's widget holds."""
        widget = self._widgets[opt.name]
        if opt.widget == CONDITIONAL:
            return CONDITIONAL_CLASSES if self.conditional() else 0
        if opt.widget == NUMBER:
            assert isinstance(widget, QLineEdit)
            return parse_float(widget, opt.name)
        return widget_value(widget)

    def _config_kwargs(self, cls: type) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        for opt in self._options.values():
            if opt.owner is not cls or opt.widget == BUDGET:
                continue
            kwargs[opt.name] = self.dataset_spec() if opt.widget == DATASET else self._value(opt)
        return kwargs

    def _build(self) -> tuple[ModelConfig, TrainConfig]:
        budget = self.budget()
        model = ModelConfig(**self._config_kwargs(ModelConfig))
        self._show_width_hints(model)
        train = TrainConfig(**self._config_kwargs(TrainConfig), **budget)
        self._draft = (model, train)
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
        return model, train

    def _show_width_hints(self, model: ModelConfig) -> None:
        """The width fields' tooltips: their help, then the layer widths the current values give."""
        for name, hint in width_hints(model).items():
            widget = self._widgets[name]
            if widget.toolTip().startswith("Invalid: "):
                continue
            help_text = self._options[name].spec.help
            widget.setToolTip(f"{capitalised(help_text)}\n{hint}" if help_text else hint)

    def _update_enabled(self) -> None:
        kind = self.budget_kind.currentData()
        self.budget_value.setEnabled(kind != "none")
        self.data_dir_edit.setEnabled(builtin_dataset(self.dataset_spec()) is not None)
        for opt in self._options.values():
            if opt.spec.only_when is not None:
                other, wanted = opt.spec.only_when
                self._widgets[opt.name].setEnabled(widget_value(self._widgets[other]) == wanted)

    def revalidate(self, *_args: Any) -> None:
        """Build the configs from the fields again (also checks the run folder on disk)."""
        self._update_enabled()
        was_valid = self._valid
        self._draft = None
        try:
            self._model, self._train = self._build()
            self._valid, self._error, self._error_field = True, "", ""
        except ConfigError as exc:
            self._model = self._train = None
            self._valid, self._error_field = False, exc.field
            label = field_label(exc.field)
            self._error = f"{label}: {exc}" if label else str(exc)
        self._show_error()
        self.changed.emit()
        if self._valid != was_valid:
            self.validity_changed.emit(self._valid)

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
    def values(self) -> dict[str, Any]:
        """The form's contents as JSON-friendly values (for QSettings)."""
        out = {name: widget_value(w) for name, w in self._widgets.items()}
        for transient in (*BUDGET_FIELDS, "run_dir"):  # a used run folder is not reusable
            out.pop(transient, None)
        out.pop("data_dir", None)  # kept under its own key
        out["budget_kind"] = self.budget_kind.currentData()
        out["advanced"] = self.advanced_button.isChecked()
        return out

    def set_values(self, values: dict[str, Any]) -> None:
        """Apply saved values; unknown or unusable entries are skipped, not fatal."""
        for name, value in values.items():
            widget = self._widgets.get(name) if name != "budget_kind" else self.budget_kind
            try:
                if name == "dataset":
                    if value != CHOOSE_FOLDER and (self.dataset_combo.findData(value) >= 0 or Path(value).is_dir()):
                        self.set_dataset(value)
                elif widget is not None:
                    set_widget_value(widget, value)
            except (TypeError, ValueError):
                continue
        if "advanced" in values:
            self.set_advanced_visible(bool(values["advanced"]))
        self.revalidate()

    def save_settings(self) -> None:
        self.save_data_dir()
        settings = QSettings()
        settings.setValue(SETTINGS_KEY, json.dumps(self.values()))
        first_folder = len(BUILTIN_DATASETS)
        folders = [self.dataset_combo.itemData(i) for i in range(first_folder, self.dataset_combo.count() - 1)]
        settings.setValue(FOLDERS_KEY, json.dumps(folders[-5:]))

    def save_data_dir(self) -> None:
        QSettings().setValue(DATA_DIR_KEY, self.data_dir_edit.text().strip())

    def restore_settings(self) -> None:
        settings = QSettings()
        self.data_dir_edit.setText(str(settings.value(DATA_DIR_KEY, "") or ""))
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


def _same_folder(a: str, b: str) -> bool:
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return False
