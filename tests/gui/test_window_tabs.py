"""Every tab has its View menu entry and Ctrl+N shortcut, in tab order, from the one table (gui/tab_order)."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

from ganstudio.gui.dialogs import SHORTCUTS
from ganstudio.gui.tab_order import TABS, shortcut_row


def test_each_tab_has_a_view_entry_and_ctrl_n_in_tab_order(make_window):
    window = make_window()
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [tab.name for tab in TABS]
    assert [tab.name for tab in TABS[:3]] == ["Explore", "Interpolate", "Train"]  # Ctrl+1/2/3 keep their tabs
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    by_key = {a.shortcut().toString(QKeySequence.SequenceFormat.PortableText): a for a in view.actions()}
    for i, tab in enumerate(TABS):
        action = by_key[f"Ctrl+{i + 1}"]
        assert action.text() == tab.title
        window.tabs.setCurrentIndex(0 if i else 1)
        action.trigger()
        assert window.tabs.currentWidget() is getattr(window, tab.attribute)
        assert window.tabs.tabToolTip(i) == tab.tip
    assert shortcut_row() in SHORTCUTS and all(tab.name in shortcut_row()[1] for tab in TABS)
