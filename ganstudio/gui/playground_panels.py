"""The Playground's side panels: the coverage numbers of each configuration and a short explanation that ties
what is on screen to the concepts, rewritten for the chosen objective and for what the run is doing."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from ganstudio.core.playground.config import PlaygroundConfig

VANISHING_GRADIENT = 0.02  # mean |d loss_G / d x| below this: G's points barely get pushed

_OBJECTIVE_TEXT = {
    "bce": (
        "<b>Non-saturating GAN (BCE).</b> The heatmap is D's probability that a point is real (blue) or generated "
        "(red). G moves its points uphill on D's surface, along the arrows. Where D is sure (deep blue or red, "
        "flat) the surface has almost no slope: the arrows shrink and G learns slowly, the <i>vanishing "
        "gradient</i> of a too-good discriminator. D only says <i>real here, fake there</i>, so G may pile all "
        "its points onto one or a few real clusters that D currently likes: <i>mode collapse</i>. Watch the "
        "orange points hop from mode to mode as D chases them."
    ),
    "wgan-gp": (
        "<b>WGAN-GP.</b> D is a critic: its score (blue high, red low) estimates the Wasserstein distance, how "
        "far G's points must travel to reach the data. The gradient penalty keeps the critic's slope near 1 "
        "everywhere (a <i>Lipschitz constraint</i>), so the surface never goes flat: the arrows keep pointing "
        "from each generated point towards data, even far from it, and G spreads over every mode instead of "
        "collapsing. More critic steps per G step (D steps) make that estimate trustworthy."
    ),
    "hinge": (
        "<b>Hinge loss.</b> D pushes real scores above +1 and generated ones below -1 (blue high, red low), "
        "then stops caring: points beyond the margin cost nothing. G climbs D's raw score along the arrows. "
        "With <i>spectral normalisation</i> every layer of D has a bounded slope (a Lipschitz constraint), so "
        "the surface stays smooth and sloped and G gets useful gradients everywhere."
    ),
}
_SPECTRAL = (
    " <b>Spectral norm is on:</b> D cannot carve sharp cliffs around single points, so the heatmap changes "
    "smoothly and the arrows stay informative."
)


def explanation(config: PlaygroundConfig, coverage: Any | None = None, gradient_norm: float | None = None) -> str:
    """Rich text for the explanation panel: the objective, then what the numbers on screen say."""
    parts = [_OBJECTIVE_TEXT[config.loss]]
    if config.spectral_norm and config.loss != "hinge":
        parts.append(_SPECTRAL)
    if coverage is not None:
        parts.append("<br><br><b>Now:</b> " + _coverage_sentence(coverage))
    if gradient_norm is not None and gradient_norm < VANISHING_GRADIENT:
        parts.append(
            f" G's gradients are tiny (mean {gradient_norm:.2g}): D's surface is flat where G's points are, so "
            "they hardly move."
        )
    return "".join(parts)


def _coverage_sentence(coverage: Any) -> str:
    covered, total, quality = coverage.modes_covered, coverage.modes_total, coverage.high_quality
    if quality < 0.5:
        return (
            f"only {100 * quality:.0f}% of G's points lie on the data (within 3 standard deviations of a mode); "
            "the rest are still on their way or stranded between modes."
        )
    if covered <= total // 2:
        return (
            f"G's points sit on the data, but on {covered} of {total} modes only: <i>mode collapse</i>. D will "
            "learn to reject those modes and G may hop to others rather than spread out."
        )
    if covered < total:
        return f"G covers {covered} of {total} modes; some are still missing."
    return (
        f"every mode is covered and {100 * quality:.0f}% of G's points lie within 3 standard deviations of a mode "
        "(the rest are stragglers between modes)."
    )


class CoveragePanel(QGroupBox):
    """Per configuration: modes covered, high-quality share, JS estimate, gradient size, steps."""

    ROWS = (
        (
            "modes",
            "Modes covered",
            "a mode is covered when at least 20% of a fair share of the samples land within "
            "3 std of it (10,000 samples)",
        ),
        ("quality", "Within 3 std", "share of the 10,000 samples within 3 standard deviations of a mode"),
        (
            "js",
            "JS divergence",
            "Jensen-Shannon divergence (bits, 0..1) of 48x48 histograms of generated and real "
            "points; in brackets, the same estimate between two real samples",
        ),
        (
            "gradient",
            "Push on points",
            "mean |d loss_G / d x| over G's points: how hard G's loss pushes them (the "
            "arrows' true length; near 0 = vanishing gradients)",
        ),
        ("steps", "G / D updates", "G steps and D updates done"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Mode coverage", parent)
        self._grid = QGridLayout(self)
        self._grid.setHorizontalSpacing(10)
        self._values: list[dict[str, QLabel]] = []
        self._headers: list[QLabel] = []
        for row, (_key, text, tip) in enumerate(self.ROWS, start=1):
            label = QLabel(text)
            label.setToolTip(tip)
            self._grid.addWidget(label, row, 0)
        self.set_columns(1)

    def set_columns(self, count: int) -> None:
        while len(self._values) < count:
            column = len(self._values) + 1
            header = QLabel("A" if column == 1 else "B")
            header.setStyleSheet("font-weight: 600;")
            self._grid.addWidget(header, 0, column)
            self._headers.append(header)
            cells = {}
            for row, (key, _text, _tip) in enumerate(self.ROWS, start=1):
                cells[key] = QLabel("–")
                cells[key].setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self._grid.addWidget(cells[key], row, column)
            self._values.append(cells)
        for i, (header, cells) in enumerate(zip(self._headers, self._values, strict=True)):
            for widget in (header, *cells.values()):
                widget.setVisible(i < count)
            header.setVisible(count > 1)

    def value(self, column: int, key: str) -> str:
        return self._values[column][key].text()

    def show_coverage(self, column: int, coverage: Any) -> None:
        cells = self._values[column]
        cells["modes"].setText(f"{coverage.modes_covered} / {coverage.modes_total}")
        cells["quality"].setText(f"{100 * coverage.high_quality:.1f}%")
        cells["js"].setText(f"{coverage.js:.3f} ({coverage.js_floor:.3f})")

    def show_snapshot(self, column: int, snapshot: Any) -> None:
        cells = self._values[column]
        cells["gradient"].setText(f"{snapshot.gradient_norm:.3g}")
        cells["steps"].setText(f"{snapshot.g_steps:,} / {snapshot.d_updates:,}")

    def clear(self) -> None:
        for cells in self._values:
            for label in cells.values():
                label.setText("–")


class ExplanationPanel(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What you see", parent)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addStretch(1)

    def explain(
        self, config: PlaygroundConfig, coverage: Any | None = None, gradient_norm: float | None = None
    ) -> None:
        text = explanation(config, coverage, gradient_norm)
        if text != self.text.text():
            self.text.setText(text)
