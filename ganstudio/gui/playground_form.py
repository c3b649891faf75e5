"""The Playground's settings form, generated from PlaygroundConfig's declarations with the same widget builders as
the Train form (gui/option_widgets.py). Like the Train form it holds no state of its own: it builds the config
on each edit and shows the core's validation message.

The Compare form (`shared_data=True`) leaves out the distribution and seed: both sides train on the same data.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from ganstudio.core.config import ConfigError
from ganstudio.core.options import NUMBER, Option
from ganstudio.core.playground.config import PlaygroundConfig, playground_options
from ganstudio.gui.option_widgets import (
    changed_signal,
    form_layout,
    option_widget,
    parse_float,
    set_widget_value,
    widget_value,
)

SHARED_FIELDS = ("dist", "seed")  # one value for both sides of a comparison
ERROR_STYLE = "color: #d9534f;"


class PlaygroundForm(QWidget):
    changed = Signal()  # an edit left the form valid (a new config is available)

    def __init__(self, shared_data: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._options = [o for o in playground_options() if not (shared_data and o.name in SHARED_FIELDS)]
        self._widgets: dict[str, QWidget] = {}
        form = form_layout()
        for opt in self._options:
            widget = self._widgets[opt.name] = option_widget(opt)
            form.addRow("" if isinstance(opt.default, bool) else opt.spec.label, widget)
            changed_signal(widget).connect(self._edited)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        self._loading = False
        self._update_enabled()

    def widget(self, name: str) -> QWidget | None:
        return self._widgets.get(name)

    def _value(self, opt: Option) -> Any:
        widget = self._widgets[opt.name]
        if opt.widget == NUMBER:
            assert isinstance(widget, QLineEdit)
            return parse_float(widget, opt.name)
        return widget_value(widget)

    def config(self, **shared: Any) -> PlaygroundConfig:
        """The config the form shows (`shared`: the fields this form leaves to the other one); ConfigError if
        a field is invalid."""
        return PlaygroundConfig(**{opt.name: self._value(opt) for opt in self._options}, **shared)

    def set_config(self, config: PlaygroundConfig) -> None:
        """Show `config` (one `changed` at the end, not one per field)."""
        self._loading = True
        try:
            for opt in self._options:
                value = getattr(config, opt.name)
                set_widget_value(self._widgets[opt.name], f"{value:g}" if opt.widget == NUMBER else value)
        finally:
            self._loading = False
        self._edited()

    def _update_enabled(self) -> None:
        for opt in self._options:
            if opt.spec.only_when is not None:
                other, wanted = opt.spec.only_when
                if other in self._widgets:
                    self._widgets[opt.name].setEnabled(widget_value(self._widgets[other]) == wanted)

    def _edited(self, *_args: Any) -> None:
        if self._loading:
            return
        self._update_enabled()
        try:
            self.config(**({} if "dist" in self._widgets else {"dist": "ring8"}))
        except ConfigError as exc:
            self.error_label.setText(str(exc))
            self.error_label.setVisible(True)
            return
        self.error_label.setVisible(False)
        self.changed.emit()
