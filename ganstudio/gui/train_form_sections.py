"""The Train form's group boxes, laid out from the option declarations: a group's `cell` options form a grid
(rows and columns named by their headings) above form rows; options with the same `row` share one form row."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGridLayout, QGroupBox, QLabel, QWidget

from ganstudio.core.options import BUDGET, CHECK, CONDITIONAL, Option
from ganstudio.gui.option_widgets import form_layout, widget_row


def section(
    title: str, members: list[Option], widgets: dict[str, QWidget], budget: list[QWidget]
) -> tuple[QGroupBox, QFormLayout]:
    """One group box of `members` (edited by `widgets`, the budget by the `budget` widgets) and its form layout,
    to which hand-built rows may still be added."""
    box = QGroupBox(title)
    cells = [opt for opt in members if opt.spec.cell is not None]
    if cells:
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(5)
        _fill_grid(grid, cells, widgets)
        form = form_layout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        grid.addLayout(form, grid.rowCount(), 0, 1, grid.columnCount())
    else:
        form = form_layout(box)
    _fill_rows(form, [opt for opt in members if opt.spec.cell is None], widgets, budget)
    return box, form


def _fill_grid(grid: QGridLayout, cells: list[Option], widgets: dict[str, QWidget]) -> None:
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
        grid.addWidget(widgets[opt.name], rows.index(row) + 1, columns.index(column) + 1)


def _fill_rows(form: QFormLayout, members: list[Option], widgets: dict[str, QWidget], budget: list[QWidget]) -> None:
    """The first option of a row gives its label, the others get an inline label (check boxes carry their own);
    the three budget fields are one control."""
    for row in sorted({opt.spec.row for opt in members}):
        in_row = [opt for opt in members if opt.spec.row == row]
        parts: list[QWidget] = []
        for opt in in_row:
            if opt.widget == BUDGET:
                if budget[0] not in parts:
                    parts += budget
                continue
            if parts and opt.widget not in (CHECK, CONDITIONAL):
                parts.append(QLabel(opt.spec.label))
            parts.append(widgets[opt.name])
            if opt.spec.suffix:
                parts.append(QLabel(opt.spec.suffix))
        head = in_row[0]
        label = "" if head.widget in (CHECK, CONDITIONAL) else head.spec.label
        form.addRow(label, parts[0] if len(parts) == 1 else widget_row(*parts))
