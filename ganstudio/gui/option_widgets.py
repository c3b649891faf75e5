"""Editors for declared options (core/options.py): one widget per plain option, reading and writing its value,
and the small layout helpers the Train form is built from. No form state lives here."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from ganstudio.core.config import ConfigError
from ganstudio.core.options import CHECK, COMBO, CONDITIONAL, NUMBER, SPIN, Option

BUDGET_DECIMALS = 3  # the budget amount's precision, for every kind


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def combo_box(items: list[tuple[Any, str]], current: Any) -> QComboBox:
    box = QComboBox()
    for data, text in items:
        box.addItem(text, data)
    box.setCurrentIndex(max(0, box.findData(current)))
    return box


def spin_box(low: int, high: int, value: int, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)  # wider than valid on purpose: the config, not the widget, says what is allowed
    box.setValue(value)
    if special:
        box.setSpecialValueText(special)
    return box


class BudgetSpinBox(QDoubleSpinBox):
    """The budget amount. Its decimals never change while the user types (changing them re-writes the text and
    drops keystrokes), and it shows a number as typed: "2.5", "1.75", "500" rather than "500.00"."""

    def __init__(self, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(BUDGET_DECIMALS)
        self.setRange(0, 1e9)
        self.setValue(value)

    def textFromValue(self, value: float) -> str:
        locale = self.locale()
        text = locale.toString(value, "f", self.decimals())
        if not self.isGroupSeparatorShown():
            text = text.replace(locale.groupSeparator(), "")
        point = locale.decimalPoint()
        return text.rstrip("0").removesuffix(point) if point in text else text


def number_edit(value: float) -> QLineEdit:
    edit = QLineEdit(f"{value:g}")
    edit.setMaximumWidth(90)
    return edit


def option_widget(opt: Option) -> QWidget:
    """The editor of one plain declared option (combo, spin box, number field or check box), at its default."""
    spec = opt.spec
    widget: QWidget
    if opt.widget == COMBO:
        widget = combo_box(opt.choice_items(), opt.default)
    elif opt.widget == SPIN:
        widget = spin_box(*opt.spin_range(), opt.default, spec.special)
    elif opt.widget == NUMBER:
        widget = number_edit(opt.default)
    elif opt.widget in (CHECK, CONDITIONAL):
        widget = QCheckBox(spec.label)
        widget.setChecked(bool(opt.default))
    else:
        raise ValueError(f"{opt.name}: the form builds {opt.widget} controls by hand")
    if option_tooltip(opt):
        widget.setToolTip(option_tooltip(opt))
    return widget


def option_tooltip(opt: Option) -> str:
    """The declared help, then the allowed range (the numbers the config checks)."""
    lines = [capitalised(opt.spec.help)] if opt.spec.help else []
    if opt.spec.valid is not None:
        lines.append(f"Allowed: {opt.spec.valid.describe()}")
    return "\n".join(lines)


def widget_value(widget: QWidget) -> Any:
    """A widget's contents as a JSON-friendly value (for QSettings)."""
    if isinstance(widget, QComboBox):
        return widget.currentData()
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.value()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QLineEdit):
        return widget.text()
    raise TypeError(type(widget).__name__)


def set_widget_value(widget: QWidget, value: Any) -> None:
    """Show a saved value; one the widget cannot show (an unknown choice) is skipped."""
    if isinstance(widget, QComboBox):
        if widget.findData(value) >= 0:
            widget.setCurrentIndex(widget.findData(value))
    elif isinstance(widget, QDoubleSpinBox):
        widget.setValue(float(value))
    elif isinstance(widget, QSpinBox):
        widget.setValue(int(value))
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QLineEdit):
        widget.setText(str(value))


def changed_signal(widget: QWidget) -> Any:
    name = next(n for n in ("currentIndexChanged", "valueChanged", "toggled", "textChanged") if hasattr(widget, n))
    return getattr(widget, name)


def parse_float(edit: QLineEdit, name: str) -> float:
    text = edit.text().strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {text!r}", field=name) from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {text}", field=name)
    return value


def widget_row(*widgets: QWidget, stretch: bool = True) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    for w in widgets:
        layout.addWidget(w)
    if stretch:
        layout.addStretch(1)
    return holder


def form_layout(parent: QWidget | None = None) -> QFormLayout:
    form = QFormLayout(parent)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(8)
    form.setVerticalSpacing(5)
    return form
