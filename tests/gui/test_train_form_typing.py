"""Every numeric field of the Train form keeps what the user types, key by key (select all, then type)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QWidget

from ganstudio.core.options import NUMBER, SPIN
from ganstudio.gui.train_form import TrainForm, form_options


def retype(qtbot, widget: QWidget, text: str) -> None:
    """What a user does: focus the field, select everything, type the new text."""
    widget.setFocus()
    target = widget.lineEdit() if isinstance(widget, QAbstractSpinBox) else widget
    qtbot.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(target, text)


@pytest.fixture
def form(qtbot) -> TrainForm:
    widget = TrainForm(restore=False)
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.mark.parametrize("kind", ["minutes", "epochs"])
@pytest.mark.parametrize(("typed", "amount"), [("2.5", 2.5), ("1.75", 1.75), ("120", 120.0), ("0.5", 0.5)])
def test_budget_keeps_a_typed_amount(form, qtbot, kind, typed, amount):
    form.budget_kind.setCurrentIndex(form.budget_kind.findData(kind))
    retype(qtbot, form.budget_value, typed)
    assert form.budget_value.text() == typed
    assert form.budget() == {kind: amount}
    assert form.is_valid(), form.error()
    assert getattr(form.configs()[1], kind) == amount


def test_budget_in_steps_keeps_the_typed_number_and_refuses_a_fraction(form, qtbot):
    form.budget_kind.setCurrentIndex(form.budget_kind.findData("steps"))
    retype(qtbot, form.budget_value, "1500")
    assert form.budget_value.text() == "1500" and form.budget() == {"steps": 1500}
    retype(qtbot, form.budget_value, "2.5")
    assert form.budget_value.text() == "2.5"  # not silently rounded to a shorter run
    assert not form.is_valid() and form.error_field() == "budget" and "whole number" in form.error()


def test_changing_the_budget_kind_keeps_the_amount(form, qtbot):
    retype(qtbot, form.budget_value, "2.5")
    form.budget_kind.setCurrentIndex(form.budget_kind.findData("epochs"))
    assert form.budget_value.text() == "2.5" and form.budget() == {"epochs": 2.5}


def enable(form: TrainForm, name: str) -> None:
    """Choose what a field is shown for (e.g. G layers for the MLP, the penalty weight for WGAN-GP)."""
    opt = next((opt for opt in form_options() if opt.name == name), None)
    if opt is not None and opt.spec.only_when is not None:
        other, wanted = opt.spec.only_when
        combo = form.widget(other)
        combo.setCurrentIndex(combo.findData(wanted))
    assert form.widget(name).isEnabled()


def numeric_fields() -> list[tuple[str, str]]:
    return [(opt.name, opt.widget) for opt in form_options() if opt.widget in (SPIN, NUMBER)] + [
        ("metrics_every", SPIN)
    ]


@pytest.mark.parametrize(("name", "kind"), numeric_fields())
def test_every_numeric_field_keeps_what_is_typed(form, qtbot, name, kind):
    widget = form.widget(name)
    assert widget is not None
    enable(form, name)
    if kind == NUMBER:
        assert isinstance(widget, QLineEdit)
        for typed in ("0.00025", "0.5", "1e-4"):
            retype(qtbot, widget, typed)
            assert widget.text() == typed
    else:
        assert isinstance(widget, QAbstractSpinBox)
        low, high = widget.minimum(), widget.maximum()
        for value in sorted({max(low, min(high, v)) for v in (2, 7, 12, 37)}):
            retype(qtbot, widget, str(value))
            assert widget.value() == value, f"{name}: typed {value}, holds {widget.value()}"


def test_width_tooltips_name_the_layer_widths_the_values_give(form, qtbot):
    form.arch_combo.setCurrentIndex(form.arch_combo.findData("mlp"))
    retype(qtbot, form.g_width_spin, "64")
    assert "MLP: 256-512-1024 units" in form.g_width_spin.toolTip()
    retype(qtbot, form.g_width_spin, "32")
    assert "MLP: 128-256-512 units" in form.g_width_spin.toolTip()
    assert "MLP: 512-256 units" in form.d_width_spin.toolTip()
    form.arch_combo.setCurrentIndex(form.arch_combo.findData("dcgan"))
    form.image_size_combo.setCurrentIndex(form.image_size_combo.findData(28))
    assert "DCGAN: 64-32 channels" in form.g_width_spin.toolTip()
