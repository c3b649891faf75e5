"""The Train form's budget row: one amount and its kind (minutes, epochs, steps or "until stopped"), which becomes
one of TrainConfig's three budget fields."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ganstudio.core.config import ConfigError
from ganstudio.gui.option_widgets import BudgetSpinBox, combo_box

DEFAULT_BUDGET = ("minutes", 3.0)
BUDGET_KINDS = (("minutes", "minutes"), ("epochs", "epochs"), ("steps", "steps"), ("none", "until stopped"))
UNTIL_STOPPED = "none"


class BudgetControls:
    """The amount spin box and the kind combo, side by side in the form's budget row."""

    def __init__(self) -> None:
        self.kind = combo_box(list(BUDGET_KINDS), DEFAULT_BUDGET[0])
        self.amount = BudgetSpinBox(DEFAULT_BUDGET[1])

    def widgets(self) -> list[QWidget]:
        return [self.amount, self.kind]

    def budget(self) -> dict[str, Any]:
        """The budget as TrainConfig fields ({} = until stopped); raises ConfigError for an empty amount."""
        kind, amount = self.kind.currentData(), self.amount.value()
        if kind == UNTIL_STOPPED:
            return {}
        if amount <= 0:
            raise ConfigError(f"budget must be more than 0 {kind} (or choose 'until stopped')", field="budget")
        if kind == "steps" and amount != round(amount):
            raise ConfigError(f"a budget in steps must be a whole number, got {amount:g}", field="budget")
        return {kind: round(amount) if kind == "steps" else float(amount)}

    def update_enabled(self) -> None:
        self.amount.setEnabled(self.kind.currentData() != UNTIL_STOPPED)
