"""The Train tab's live quality metrics: FID next to its floor, coverage, a history and the class histogram.

A pure view: `show_report(report)` displays one QualityReport or SwdReport (or the reason of an
UnavailableReport); it keeps only what it draws (the ratio history of the current run). Layout, left to right:

* the numbers: "FID 3.1 (8.8x real-vs-real floor 0.35)", classes covered "10/10", mean confidence, class KL,
  inception score (and conditional accuracy for class-conditional models); below them a warning box when
  fewer classes than the dataset has appear ("Possible mode collapse: only 6 of 10 classes appear"). The box
  carries its own background and text colours, so it reads the same in light and dark palettes;
* FID / floor against the step, log y, with the line at 1 where samples are as good as real ones;
* the class histogram of the generated samples (blue; classes under the coverage threshold amber) next to the
  real one (grey), class names on the x axis.

An image folder's report (SwdReport) has no classifier numbers: the view shows its SWD next to the floor from two
halves of the folder, and the history plots SWD / floor; MNIST and Fashion-MNIST reports show SWD as one more row.
Datasets that cannot be measured show the "unavailable" reason in grey instead.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import QGridLayout, QGroupBox, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ganstudio.core.quality_math import COVERAGE_THRESHOLD
from ganstudio.core.quality_report import QualityReport, QualityResult, SwdReport, UnavailableReport, class_names_of
from ganstudio.gui.dialogs import WidthHint
from ganstudio.gui.metrics_text import FID_TIP, SWD_TIP, collapse_warning, fid_text, number, swd_text
from ganstudio.gui.plot_style import StepAxis, style_legend

GENERATED_COLOR = "#3b82f6"
MISSING_COLOR = "#f59e0b"  # generated bars of classes under the coverage threshold
RATIO_COLOR = "#8b5cf6"
# Its own background and text colour, so the warning reads the same on light and dark palettes.
WARNING_STYLE = (
    "QLabel { background: #fff3cd; color: #5c4300; border: 1px solid #f0b429; border-radius: 4px;"
    " padding: 4px 6px; font-weight: 600; }"
)
ERROR_COLOR = "#d9534f"
RATIO_TICKS = [(math.log10(v), f"{v:g}x") for m in (1, 10, 100, 1000, 10_000) for v in (m, 2 * m, 5 * m)]
DECADE_TICKS = [(float(e), f"{10**e:,}x") for e in range(6)]  # for histories spanning several decades
MAX_TICK_CHARS = 7  # longer class names are shortened on the axis (the tooltip has them in full)


def _short(name: str) -> str:
    return name if len(name) <= MAX_TICK_CHARS else name[: MAX_TICK_CHARS - 1] + "\u2026"


def _bold(font: QFont) -> QFont:
    font = QFont(font)
    font.setBold(True)
    return font


def _value_label() -> QLabel:
    label = QLabel("-")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


NUMBERS_MIN_WIDTH = 200  # the numbers column may shrink to this (long labels wrap) ...
PLOT_MIN_WIDTH = 90  # ... and each plot to this, so the Train tab fits a 1024 px screen


class MetricsView(QWidget):
    """Shows live quality-metric reports of one training run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps: list[float] = []
        self._ratios: list[float] = []
        self._report: QualityReport | SwdReport | None = None

        self.heading_label = QLabel("Quality")
        self.heading_label.setWordWrap(True)
        self.fid_label = QLabel("FID -")
        self.fid_label.setFont(_bold(self.fid_label.font()))
        self.fid_label.setWordWrap(True)
        self.fid_label.setToolTip(FID_TIP)
        self.coverage_value, self.confidence_value = _value_label(), _value_label()
        self.kl_value, self.is_value, self.accuracy_value = _value_label(), _value_label(), _value_label()
        self.swd_value = _value_label()
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        rows = (
            ("Classes covered", self.coverage_value, "Classes that get at least 5% of the samples"),
            (
                "Mean confidence",
                self.confidence_value,
                "The classifier's average top probability: low means blurry or ambiguous samples",
            ),
            (
                "Class KL",
                self.kl_value,
                "KL(generated || real) of the predicted classes: 0 = the real class "
                "balance, about 2.3 = everything is one class",
            ),
            (
                "Inception score",
                self.is_value,
                "exp E[KL(p(y|x) || p(y))] with the dataset's classifier: "
                "higher = sharper and more varied (at most the class count)",
            ),
            (
                "Conditional accuracy",
                self.accuracy_value,
                "Samples the classifier reads as the class they were generated for",
            ),
            ("SWD", self.swd_value, SWD_TIP),
        )
        self._accuracy_row: list[QWidget] = []
        self._classifier_rows: list[QWidget] = []  # hidden for an image folder, which has no classifier
        for row, (name, value, tip) in enumerate(rows):
            label = QLabel(name)
            label.setToolTip(tip)
            value.setToolTip(tip)
            grid.addWidget(label, row, 0)
            grid.addWidget(value, row, 1)
            if value is self.accuracy_value:
                self._accuracy_row = [label, value]
            if value is not self.swd_value:
                self._classifier_rows += [label, value]
        grid.setColumnStretch(1, 1)
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.warning_label.setVisible(False)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        # One width hint that fits a typical FID line, so the plots do not jump as text changes; when the window
        # is narrow (a 1024 px screen) the numbers may shrink and wrap rather than widen it.
        widest = QFontMetrics(self.fid_label.font()).horizontalAdvance("FID 88.8 (88.8x real-vs-real floor 0.88)")
        numbers = WidthHint(max(240, widest + 16))
        numbers.setMinimumWidth(NUMBERS_MIN_WIDTH)
        numbers.setMaximumWidth(max(240, widest + 16))
        left = QVBoxLayout(numbers)
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(4)
        left.addWidget(self.heading_label)
        left.addWidget(self.fid_label)
        left.addLayout(grid)
        left.addWidget(self.warning_label)
        left.addStretch(1)

        self.history_plot = pg.PlotWidget(axisItems={"bottom": StepAxis()})
        self._setup_plot(self.history_plot, "FID / floor")
        self.history_plot.getPlotItem().setLabel("bottom", "step")
        # A log scale drawn by hand (y = log10(ratio)): pyqtgraph's log-mode labels crowd a short axis.
        self.history_plot.getPlotItem().getAxis("left").setTicks([RATIO_TICKS, []])
        self.history_plot.addItem(
            pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#10b981", width=1, style=Qt.PenStyle.DashLine))
        )
        self.history_curve = self.history_plot.plot(
            [],
            [],
            pen=pg.mkPen(RATIO_COLOR, width=2),
            symbol="o",
            symbolSize=5,
            symbolBrush=RATIO_COLOR,
            symbolPen=None,
        )
        self.history_plot.getPlotItem().setMouseEnabled(x=False, y=False)
        self.history_plot.getPlotItem().hideButtons()
        self.history_plot.setToolTip(
            "FID divided by the real-vs-real floor at each measurement; the dashed line at 1 is real-data quality"
        )

        self.histogram_plot = pg.PlotWidget()
        self._setup_plot(self.histogram_plot, "share of samples (%)")
        self.histogram_plot.getPlotItem().setMouseEnabled(x=False, y=False)
        self.histogram_plot.getPlotItem().hideButtons()
        legend = self.histogram_plot.getPlotItem().addLegend(offset=(-4, 2), labelTextSize="8pt", colCount=2)
        self.real_bars = pg.BarGraphItem(
            x=[], height=[], width=0.38, brush=QColor(150, 150, 150, 150), pen=None, name="real"
        )
        self.generated_bars = pg.BarGraphItem(
            x=[], height=[], width=0.38, brush=GENERATED_COLOR, pen=None, name="generated"
        )
        self.histogram_plot.addItem(self.generated_bars)
        self.histogram_plot.addItem(self.real_bars)
        self.threshold_line = pg.InfiniteLine(
            pos=100 * COVERAGE_THRESHOLD, angle=0, pen=pg.mkPen(MISSING_COLOR, width=1, style=Qt.PenStyle.DashLine)
        )
        self.histogram_plot.addItem(self.threshold_line)
        self._legend = legend
        self.histogram_plot.setToolTip(
            "Classes the classifier sees in the generated samples (blue; amber under 5%) next to the real data (grey)"
        )

        self.content = QWidget()
        content = QHBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.addWidget(numbers)
        content.addWidget(self.history_plot, 2)
        content.addWidget(self.histogram_plot, 3)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title_label = QLabel("Quality metrics")
        box = QGroupBox()  # framed like the sample grid next to it
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(box)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(3)
        layout.addWidget(self.title_label)
        layout.addWidget(self.message_label, 1)  # only one of message and content is shown
        layout.addWidget(self.content, 1)
        layout.addWidget(self.status_label)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._apply_palette()
        self.reset()

    @staticmethod
    def _setup_plot(widget: pg.PlotWidget, left: str) -> None:
        widget.setMinimumHeight(120)
        widget.setMinimumWidth(PLOT_MIN_WIDTH)
        plot = widget.getPlotItem()
        plot.setLabel("left", left)
        plot.showGrid(x=False, y=True, alpha=0.15)
        plot.setMenuEnabled(False)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).enableAutoSIPrefix(False)

    # ------------------------------------------------------------------ public
    def reset(self, message: str = "Quality metrics appear during training") -> None:
        """A new run: forget the history and show `message` until the first report."""
        self._steps.clear()
        self._ratios.clear()
        self._report = None
        self.history_curve.setData([], [])
        self._set_bars([], [], [])
        self.warning_label.setVisible(False)
        self.status_label.setText("")
        self._show_message(message)

    def show_unavailable(self, reason: str) -> None:
        """No metrics for this run (e.g. an image folder): the reason, in grey."""
        self.reset(f"Quality metrics unavailable: {reason}" if reason else "Quality metrics unavailable")

    def show_busy(self, step: int) -> None:
        self.status_label.setStyleSheet(f"color: {self._grey.name()};")
        self.status_label.setText(f"Measuring the generator at step {step:,}\u2026")

    def show_error(self, message: str) -> None:
        self.status_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.status_label.setText(f"Quality metrics failed: {message}")

    def show_report(self, report: QualityResult) -> None:
        """Display one report (the live worker's carry the step they measured)."""
        if isinstance(report, UnavailableReport):
            self.show_unavailable(report.reason)
            return
        if isinstance(report, SwdReport):
            self._show_swd_report(report)
            return
        self._report = report
        self._show_classifier_numbers(True)
        self.message_label.setVisible(False)
        self.content.setVisible(True)
        self.status_label.setText("")
        step = report.step
        hist = [float(v) for v in report.class_histogram]
        k = len(hist)
        real = [float(v) for v in report.real_class_histogram]
        dataset = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}.get(report.dataset, report.dataset)
        where = f"Step {step:,}: " if step is not None else ""
        ref = report.reference
        against = f"the held-out {dataset} {ref.split} split" if ref.held_out else f"the {dataset} training data"
        self.heading_label.setText(f"{where}{report.n:,} samples vs {against}")
        self.heading_label.setToolTip(f"Reference: {ref.describe()}")
        self.fid_label.setText(fid_text(report))
        self.coverage_value.setText(f"{report.classes_covered}/{k}")
        self.confidence_value.setText(f"{report.mean_confidence:.2f}")
        self.kl_value.setText(f"{report.kl_class:.3f}")
        self.is_value.setText(f"{report.inception_score:.2f}  (real {report.inception_score_real:.2f})")
        accuracy = report.conditional_accuracy
        for w in self._accuracy_row:
            w.setVisible(accuracy is not None)
        self.accuracy_value.setText(f"{accuracy:.0%}" if accuracy is not None else "-")
        self.swd_value.setText(swd_text(report.swd, "", "floor") if report.swd is not None else "-")
        warning = collapse_warning(report)
        self.warning_label.setText("\u26a0 " + warning if warning else "")
        self.warning_label.setVisible(bool(warning))
        self.coverage_value.setFont(_bold(self.font()) if warning else self.font())

        self._add_to_history(step, report.fid_ratio)
        self._set_bars(hist, real, list(class_names_of(report)))

    def _show_swd_report(self, report: SwdReport) -> None:
        """An image folder: SWD next to its floor, and the SWD / floor history; no classifier rows or histogram."""
        self._report = report
        self._show_classifier_numbers(False)
        self.message_label.setVisible(False)
        self.content.setVisible(True)
        self.status_label.setText("")
        where = f"Step {report.step:,}: " if report.step is not None else ""
        self.heading_label.setText(f"{where}{report.n:,} samples vs {report.reference.n:,} images of the folder")
        self.fid_label.setText(swd_text(report.swd))
        levels = zip(report.swd.resolutions, report.swd.swd, strict=True)
        self.swd_value.setText(", ".join(f"{r}px {number(v)}" for r, v in levels))
        self.warning_label.setVisible(False)
        self._add_to_history(report.step, report.swd.ratio)

    def _show_classifier_numbers(self, shown: bool) -> None:
        for widget in self._classifier_rows:
            widget.setVisible(shown)
        self.histogram_plot.setVisible(shown)
        self.history_plot.getPlotItem().setLabel("left", "FID / floor" if shown else "SWD / floor")
        self.fid_label.setToolTip(FID_TIP if shown else SWD_TIP)

    def _add_to_history(self, step: int | None, ratio: float | None) -> None:
        if step is None or ratio is None or not math.isfinite(ratio):
            return
        if self._steps and step <= self._steps[-1]:  # the same step again (the final measurement)
            while self._steps and self._steps[-1] >= step:
                self._steps.pop()
                self._ratios.pop()
        self._steps.append(float(step))
        self._ratios.append(max(float(ratio), 1e-3))
        self._draw_history()

    # accessors (tests, screenshots)
    def report(self) -> QualityReport | SwdReport | None:
        return self._report

    def warning_text(self) -> str:
        return self.warning_label.text() if not self.warning_label.isHidden() else ""

    def message_text(self) -> str:
        return self.message_label.text() if not self.message_label.isHidden() else ""

    def history(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self._steps), np.asarray(self._ratios)

    def histogram_data(self) -> tuple[np.ndarray, np.ndarray]:
        """(generated, real) class shares as drawn."""
        return (
            np.asarray(self.generated_bars.opts["height"], float) / 100,
            np.asarray(self.real_bars.opts["height"], float) / 100,
        )

    # ------------------------------------------------------------------ internals
    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setToolTip(text)
        self.message_label.setVisible(True)
        self.content.setVisible(False)

    def _draw_history(self) -> None:
        """FID / floor on a hand-made log scale from step 0 to the newest, always showing the line at 1x."""
        y = np.log10(self._ratios)
        self.history_curve.setData(self._steps, y)
        low, high = min(0.0, float(y.min())), max(0.0, float(y.max()))
        span = high - low
        ticks = DECADE_TICKS if span > 1.6 else RATIO_TICKS
        self.history_plot.getPlotItem().getAxis("left").setTicks([ticks, []])
        margin = max(0.08, 0.08 * span)
        self.history_plot.setYRange(low - margin, high + margin, padding=0)
        self.history_plot.setXRange(0, max(self._steps[-1], 1.0) * 1.06, padding=0)

    def _set_bars(self, generated: list[float], real: list[float], names: list[str]) -> None:
        k = len(generated)
        x = np.arange(k, dtype=float)
        brushes = [pg.mkBrush(MISSING_COLOR if share < COVERAGE_THRESHOLD else GENERATED_COLOR) for share in generated]
        self.generated_bars.setOpts(
            x=x - 0.2, height=100 * np.asarray(generated, float), width=0.38, brushes=brushes or None
        )
        self.real_bars.setOpts(x=x + 0.2, height=100 * np.asarray(real, float), width=0.38)
        axis = self.histogram_plot.getPlotItem().getAxis("bottom")
        axis.setTicks([[(i, _short(name)) for i, name in enumerate(names)]])
        if names:
            axis.setToolTip("Classes: " + ", ".join(html.escape(n) for n in names))
        if k:
            top = max([*generated, *[v for v in real if math.isfinite(v)], COVERAGE_THRESHOLD]) * 100
            self.histogram_plot.setXRange(-0.6, k - 0.4, padding=0)
            self.histogram_plot.setYRange(0, top * 1.35, padding=0)

    def _apply_palette(self) -> None:
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        window = palette.color(QPalette.ColorRole.Window)
        self._grey = QColor(
            (text.red() + window.red()) // 2, (text.green() + window.green()) // 2, (text.blue() + window.blue()) // 2
        )
        self.message_label.setStyleSheet(f"color: {self._grey.name()};")
        self.heading_label.setStyleSheet(f"color: {self._grey.name()};")
        for widget in (self.history_plot, self.histogram_plot):
            widget.setBackground(background)
            plot = widget.getPlotItem()
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(pg.mkPen(text))
                plot.getAxis(axis).setTextPen(pg.mkPen(text))
        if self._legend is not None:
            style_legend(self._legend, QColor(text), QColor(background))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and hasattr(self, "_legend"):
            self._apply_palette()
        super().changeEvent(event)
