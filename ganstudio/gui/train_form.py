"""The form for every training option. It holds no model state: on each edit it builds the core configs,
shows the core's validation message next to the field it names (`ConfigError.field`) and below the form,
and says whether Start may be pressed.

Widgets, labels, tooltips, rows and the keyword build are generated from the option declarations of
ModelConfig / TrainConfig (core/options.py), defaults included (the layout: train_form_sections.py). Only the
compound controls are built by hand: the dataset picker, data folder and run folder (train_form_folders.py), the
budget ("amount + kind", train_form_budget.py) and the metrics interval (an app option). The values are kept
between sessions by train_form_settings.py.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QLineEdit, QPushButton, QToolButton, QVBoxLayout, QWidget

from ganstudio.core.config import BUDGET_FIELDS, ConfigError, ModelConfig, TrainConfig
from ganstudio.core.options import BUDGET, CHECK, COMBO, CONDITIONAL, DATASET, NUMBER, SPIN, Option, options_of
from ganstudio.gui.option_widgets import (
    changed_signal,
    option_tooltip,
    option_widget,
    parse_float,
    set_widget_value,
    spin_box,
    widget_row,
    widget_value,
)
from ganstudio.gui.train_form_budget import DEFAULT_BUDGET, BudgetControls
from ganstudio.gui.train_form_folders import (
    CHOOSE_FOLDER,
    DATA_DIR_LABEL,
    RUN_DIR_LABEL,
    FolderFields,
)
from ganstudio.gui.train_form_hints import width_hints
from ganstudio.gui.train_form_sections import section
from ganstudio.gui.train_form_settings import load_form, save_form
from ganstudio.runtime.metrics_schedule import DEFAULT_EVERY_STEPS as DEFAULT_METRICS_EVERY

__all__ = ["CHOOSE_FOLDER", "TrainForm", "choose_directory", "field_label", "form_options"]

ERROR_STYLE = "border: 1px solid #d9534f; border-radius: 3px;"
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
    "data_dir": DATA_DIR_LABEL,
    "run_dir": RUN_DIR_LABEL,
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
        # The dialog is looked up in this module when it opens, so replacing `choose_directory` here reaches it.
        self.folders = FolderFields(self, self._options["dataset"], lambda *args: choose_directory(*args))
        self.dataset_combo = self.folders.dataset_combo
        self.data_dir_edit = self.folders.data_dir_edit
        self.run_dir_edit = self.folders.run_dir_edit
        self.budget_controls = BudgetControls()
        self.budget_kind = self.budget_controls.kind
        self.budget_value = self.budget_controls.amount
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
            members = [opt for opt in self._options.values() if opt.spec.group == group]
            box, form = section(title, members, self._widgets, self.budget_controls.widgets())
            if group == "basic":
                self.folders.add_rows(form)
            elif group == "run":
                form.addRow(EXTRA_LABELS["metrics_every"], widget_row(self.metrics_every_spin, QLabel("steps")))
                reset = QPushButton("Reset all to defaults")
                reset.clicked.connect(self.reset_defaults)
                form.addRow("", widget_row(reset))
            if advanced:
                advanced_layout.addWidget(box)
            else:
                layout.addWidget(box)
                layout.addWidget(self.advanced_button)
                layout.addWidget(self.advanced)
        layout.addWidget(self.error_label)
        layout.addStretch(1)

    def _connect(self) -> None:
        for w in set(self._widgets.values()):
            changed_signal(w).connect(self.revalidate)
        self.budget_kind.currentIndexChanged.connect(self.revalidate)

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
        return self.folders.dataset_spec()

    def budget(self) -> dict[str, Any]:
        """The budget as TrainConfig fields ({} = until stopped); raises ConfigError for an empty amount."""
        return self.budget_controls.budget()

    def data_dir(self) -> str | None:
        """The folder to look for a built-in dataset's files in first; None for the automatic search."""
        return self.folders.data_dir()

    def run_dir(self) -> str:
        """The run folder the user typed, or a fresh one, created now, named after the dataset and architecture."""
        return self.folders.run_dir(str(self.arch_combo.currentData()))

    # ------------------------------------------------------------------ editing
    def set_dataset(self, spec: str) -> None:
        """Select a built-in dataset by name or add and select a folder."""
        self.folders.set_dataset(spec)

    def show_active_run_dir(self, path: str) -> None:
        """Show the folder the run in progress writes to, in place of "automatic"."""
        self.folders.show_active_run_dir(path)

    def end_active_run_dir(self, path: str) -> None:
        """The run has ended: the run folder field shows what the user had typed again (train_form_folders.py)."""
        self.folders.end_active_run_dir(path)

    def _browse_data_dir(self) -> None:
        """What the data folder's "..." button does."""
        self.folders.browse_data_dir()

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
        self.folders.check()
        return model, train

    def _show_width_hints(self, model: ModelConfig) -> None:
        """The width fields' tooltips: their help, then the layer widths the current values give."""
        for name, hint in width_hints(model).items():
            widget = self._widgets[name]
            if widget.toolTip().startswith("Invalid: "):
                continue
            base = option_tooltip(self._options[name])
            widget.setToolTip(f"{base}\n{hint}" if base else hint)

    def _update_enabled(self) -> None:
        self.budget_controls.update_enabled()
        self.folders.update_enabled()
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
                    if self.folders.can_select(value):
                        self.set_dataset(value)
                elif widget is not None:
                    set_widget_value(widget, value)
            except (TypeError, ValueError):
                continue
        if "advanced" in values:
            self.set_advanced_visible(bool(values["advanced"]))
        self.revalidate()

    def save_settings(self) -> None:
        save_form(self.values(), self.folders.image_folders(), self.data_dir_edit.text().strip())

    def restore_settings(self) -> None:
        saved = load_form()
        self.data_dir_edit.setText(saved.data_dir)
        for folder in saved.folders:
            self.set_dataset(folder)
        if saved.values is not None:
            self.set_values({**{"dataset": self.dataset_combo.itemData(0)}, **saved.values})
