"""The main window's tabs in order: one table that the window, the View menu and the shortcut list all read.

Ctrl+N selects the N-th tab, so a new tab goes at the end and the older tabs keep their keys (Ctrl+1/2/3 have
always been Explore, Interpolate and Train).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TabEntry:
    attribute: str  # the MainWindow attribute that holds the tab's widget
    title: str  # the View menu's text, with its mnemonic; the tab bar shows it without the "&"
    tip: str

    @property
    def name(self) -> str:
        return self.title.replace("&", "")


TABS = (
    TabEntry("explore", "&Explore", "Explore the generator's latent space"),
    TabEntry("interpolate", "&Interpolate", "Interpolate between samples"),
    TabEntry("train_tab", "&Train", "Train a GAN"),
    TabEntry("plane", "&Plane", "The plane two directions span through the current sample"),
    TabEntry("project", "P&roject", "Draw or open your own digit and find it"),
    TabEntry("map", "&Map", "Where samples live; is the model copying?"),
    TabEntry(
        "playground", "Pla&yground", "Watch a GAN learn on 2-D points: mode collapse, its cures, each player's moves"
    ),
)


def tab_shortcut(index: int) -> str:
    return f"Ctrl+{index + 1}"


def shortcut_row() -> tuple[str, str]:
    """The shortcut list's one row for every tab: ("Ctrl+1 … 6", "Explore / … / Map tab")."""
    return f"Ctrl+1 … {len(TABS)}", " / ".join(tab.name for tab in TABS) + " tab"
