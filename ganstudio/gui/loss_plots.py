"""Live loss plots that stay smooth over hours of training.

Following pyqtgraph's scrollingPlots example: every curve is created once; new rows go into a numpy buffer
that doubles when full; a QTimer (1-4 Hz, see `LossPlots.refresh`) calls `setData` with views of the buffer,
only when new data came.
`setDownsampling(mode="peak")` and `setClipToView(True)` keep drawing cheap, and once the stored history
passes `MAX_POINTS` every other row is dropped, so memory and redraw cost stay bounded for millions of steps.

Each series is drawn twice: the raw per-step values, faint, and an exponential moving average on top, bold,
so trends are readable through the noise of GAN losses. The legend is each plot's title line, above the data
area, so it never covers a curve.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QColor, QPaintEvent, QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ganstudio.core.history import LOSS_COLUMNS, LOSS_KEYS, ColumnTable
from ganstudio.gui.plot_style import StepAxis

# Input rows are (step, *LOSS_KEYS), as train_worker.METRIC_COLUMNS sends them.
ROW_WIDTH = 1 + len(LOSS_KEYS)
MAX_POINTS = 100_000  # stored rows before the history is thinned by half (50x more than a plot's pixels)
REFRESH_MS = 250  # 4 Hz while cheap: smooth enough to read, and leaves the GIL to training ...
MAX_REFRESH_MS = 1000  # ... and at least 1 Hz when drawing is dear (a long history, a slow CPU)
ANTIALIAS_BELOW = 3000  # smooth curves are antialiased while short (antialiasing long zigzags is slow)
DOWNSAMPLE_FACTOR = 1.5  # peak-downsampled samples per pixel (pyqtgraph's default of 5 draws 3x more)
LEGEND_MARGIN = 16  # px beside the widest legend line (the plot layout's own margins)
SMOOTHING = 0.05  # EMA weight of each new step in the bold curves

_COLORS = {
    "d_loss": "#3b82f6",
    "g_loss": "#f97316",
    "d_real": "#10b981",
    "d_fake": "#ef4444",
    "gradient_penalty": "#a855f7",
}
_LABEL_OF = {column.key: column.label for column in LOSS_COLUMNS}
_SPARE_COLORS = ("#0ea5e9", "#eab308", "#64748b")  # for a loss column without a colour of its own


def _color(key: str) -> str:
    return _COLORS.get(key) or _SPARE_COLORS[LOSS_KEYS.index(key) % len(_SPARE_COLORS)]


def legend_html(names: tuple[str, ...]) -> str:
    """A one-line legend: a line in each series' colour and its name."""
    return "&nbsp;&nbsp;&nbsp;".join(
        f'<span style="color: {_color(name)}">━━</span>&nbsp;{_LABEL_OF[name]}' for name in names
    )


class MetricHistory:
    """Rows of (step, raw values, smoothed values) in a doubling table, thinned when it grows too long."""

    def __init__(self, capacity: int = 1024, max_points: int = MAX_POINTS) -> None:
        smoothed = tuple(f"smoothed.{key}" for key in LOSS_KEYS)
        self._table = ColumnTable(("step", *LOSS_KEYS, *smoothed), capacity, fill=np.nan)
        self._ema: np.ndarray | None = None
        self.max_points = max_points

    def __len__(self) -> int:
        return len(self._table)

    def clear(self) -> None:
        self._table.clear()
        self._ema = None

    def append(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, ROW_WIDTH)
        if len(rows) == 0:
            return
        self._table.append_rows(np.column_stack([rows, self._smooth(rows[:, 1:])]))
        while len(self._table) > self.max_points:
            self._table.keep_every_other()

    def _smooth(self, values: np.ndarray) -> np.ndarray:
        """Exponential moving average of each column, vectorised over chunks (a NaN restarts a column)."""
        out = np.empty_like(values)
        decay = 1.0 - SMOOTHING
        for start in range(0, len(values), 128):  # decay**-128 stays far from overflow
            x = values[start : start + 128]
            k = np.arange(1, len(x) + 1)[:, None]
            ema = x[0].copy() if self._ema is None else np.where(np.isfinite(self._ema), self._ema, x[0])
            # e_t = d^t * (e_0 + a * sum_{j<=t} d^-j x_j)
            block = decay**k * (ema + SMOOTHING * np.cumsum(x * decay**-k, axis=0))
            out[start : start + len(x)] = block
            self._ema = block[-1]
        return out

    def steps(self) -> np.ndarray:
        return self._table.column("step")

    def raw(self, name: str) -> np.ndarray:
        return self._table.column(name)

    def smoothed(self, name: str) -> np.ndarray:
        return self._table.column(f"smoothed.{name}")


class TimedPlotView(pg.GraphicsLayoutWidget):
    """A plot layout that adds up the milliseconds it spends painting (`paint_ms`), so the refresh rate can be
    budgeted on what drawing really costs: one refresh can cost two paints (auto-range settles in a second one)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paint_ms = 0.0

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        super().paintEvent(event)
        self.paint_ms += 1000 * (time.perf_counter() - started)


class LossPlots(QWidget):
    """D/G losses, D(x)/D(G(z)) and (for WGAN-GP) the gradient penalty, against the step."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = MetricHistory()
        self._dirty = False
        self._show_gp = False
        self.view = TimedPlotView()
        self.view.ci.layout.setSpacing(6)
        self.view.ci.setContentsMargins(2, 2, 2, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)

        titles = list(dict.fromkeys(column.plot for column in LOSS_COLUMNS))  # in declaration order
        self._plots: dict[str, pg.PlotItem] = {}
        for title in titles:
            if self._plots:
                self.view.nextRow()
            self._plots[title] = self._make_plot(title, tuple(c.key for c in LOSS_COLUMNS if c.plot == title))
        self.loss_plot, self.score_plot, self.gp_plot = (self._plots[t] for t in ("Loss", "D output", "Penalty"))
        for plot in self._plots.values():
            if plot is not self.loss_plot:
                plot.setXLink(self.loss_plot)
        self.gp_plot.setLabel("bottom", "step")
        self._set_gp_visible(False)
        self._apply_palette()

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def _make_plot(self, title: str, names: tuple[str, ...]) -> pg.PlotItem:
        plot = self.view.addPlot(axisItems={"bottom": StepAxis()})
        plot.setLabel("left", title)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).enableAutoSIPrefix(False)
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        plot.setMenuEnabled(True)
        plot.getViewBox().setMouseEnabled(x=True, y=False)
        plot.enableAutoRange()
        plot.getViewBox().setAutoVisible(y=True)
        plot.legend_names = names
        plot.raw_curves = {}
        plot.smooth_curves = {}
        for name in names:
            color = QColor(_color(name))
            faint = QColor(color)
            faint.setAlpha(70)
            plot.raw_curves[name] = plot.plot([], [], pen=pg.mkPen(faint, width=1), connect="finite")
            plot.smooth_curves[name] = plot.plot(
                [], [], pen=pg.mkPen(color, width=2), name=_LABEL_OF[name], connect="finite"
            )
            for curve in (plot.raw_curves[name], plot.smooth_curves[name]):
                curve.opts["autoDownsampleFactor"] = DOWNSAMPLE_FACTOR
        return plot

    # ------------------------------------------------------------------ public
    def append(self, rows: np.ndarray) -> None:
        """Add metric rows (step, *LOSS_KEYS); drawn on the next tick."""
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, ROW_WIDTH)
        if len(rows) == 0:
            return
        self.history.append(rows)
        if not self._show_gp and np.isfinite(rows[:, 1 + LOSS_KEYS.index("gradient_penalty")]).any():
            self._set_gp_visible(True)
        self._dirty = True

    def clear(self) -> None:
        self.history.clear()
        self._set_gp_visible(False)
        self._dirty = True
        self.refresh()

    def set_objective(self, loss: str) -> None:
        """Name the score axis after what the objective's D outputs: a probability for BCE, a raw score else."""
        unit = "probability" if loss == "bce" else "score"
        self.score_plot.setLabel("left", f"D output ({unit})")

    def curve_data(self, name: str, smoothed: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The (steps, values) currently handed to a curve (for tests and export)."""
        plot = self._plot_of(name)
        item = (plot.smooth_curves if smoothed else plot.raw_curves)[name]
        x, y = item.getOriginalDataset()
        return (np.asarray(x) if x is not None else np.empty(0), np.asarray(y) if y is not None else np.empty(0))

    def gradient_penalty_visible(self) -> bool:
        return self._show_gp

    def refresh(self) -> None:
        """Hand the buffers to the curves (timer-driven). Refreshes slow down (4 Hz to 1 Hz) as handing over the
        data and painting it (measured: the paints since the last refresh) get dearer, so that drawing takes
        about 1/16 of the UI thread: on a slow CPU painting the two plots once costs 25 ms, and the UI thread's
        time is taken from training, which needs the GIL between its operations."""
        painted_ms, self.view.paint_ms = self.view.paint_ms, 0.0
        if not self._dirty:
            return
        self._dirty = False
        started = time.perf_counter()
        steps = self.history.steps()
        antialias = len(steps) < ANTIALIAS_BELOW
        for plot in self._plots.values():
            if plot is self.gp_plot and not self._show_gp:
                continue
            for name in plot.raw_curves:
                plot.raw_curves[name].setData(steps, self.history.raw(name))
                plot.smooth_curves[name].setData(steps, self.history.smoothed(name), antialias=antialias)
        cost_ms = 1000 * (time.perf_counter() - started) + painted_ms
        self.timer.setInterval(int(min(MAX_REFRESH_MS, max(REFRESH_MS, 16 * cost_ms))))

    # ------------------------------------------------------------------ internals
    def legend_item(self, plot: pg.PlotItem) -> pg.LabelItem:
        """The item showing a plot's legend (its title line)."""
        return plot.titleLabel

    def _plot_of(self, name: str) -> pg.PlotItem:
        for plot in self._plots.values():
            if name in plot.raw_curves:
                return plot
        raise KeyError(name)

    def _set_gp_visible(self, visible: bool) -> None:
        self._show_gp = visible
        self.gp_plot.setVisible(visible)
        self.gp_plot.setMaximumHeight(16777215 if visible else 0)
        last, other = (self.gp_plot, self.score_plot) if visible else (self.score_plot, self.gp_plot)
        last.setLabel("bottom", "step")
        last.showAxis("bottom")
        other.getAxis("bottom").setLabel("")

    def _apply_palette(self) -> None:
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        foreground = palette.color(QPalette.ColorRole.Text)
        self.view.setBackground(background)
        grid = QColor(foreground)
        for plot in self._plots.values():
            for axis in ("left", "bottom"):
                item = plot.getAxis(axis)
                item.setPen(pg.mkPen(grid))
                item.setTextPen(pg.mkPen(foreground))
            plot.setTitle(legend_html(plot.legend_names), size="8pt", color=foreground.name())
        # A title line is cut at both ends when the plot is narrower than it: the plots never get that narrow.
        widest = max(plot.titleLabel.item.boundingRect().width() for plot in self._plots.values())
        self.setMinimumWidth(int(widest) + LEGEND_MARGIN)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._apply_palette()
        super().changeEvent(event)
