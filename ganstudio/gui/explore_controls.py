"""The Explore tab's latent panel: class and class blend, truncation, Randomize / Reset, and the latent
sliders beside the named directions.

A thin view of `runtime.exploration.Exploration` like the rest of the tab: `show_state` shows the model's
values without them coming back as edits, and user edits go straight to the model (which re-renders).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QSlider, QSpinBox, QTabWidget, QVBoxLayout, QWidget

from ganstudio.gui.dialogs import make_header, make_panel, make_row
from ganstudio.gui.directions_panel import DirectionsPanel
from ganstudio.gui.latent_sliders import LatentSliders
from ganstudio.gui.render_worker import RenderService
from ganstudio.gui.reset_slider import ResetSlider
from ganstudio.gui.settings import Settings
from ganstudio.runtime.exploration import Exploration

CROSSFADE_TIP = (
    "This model runs in onnxruntime, which only accepts whole class labels, so this slider "
    "cross-fades the pictures of the two classes (same z). It is not a learned morph; a "
    "checkpoint (.safetensors) or the live training generator blends the label embeddings."
)
MORPH_TIP = "Mixes the two classes' label embeddings inside the generator: a real morph from one class to the other."
TICKS = 100  # slider ticks per unit of truncation and blend
TRUNCATION_SNAP = 4  # a drag within this many ticks of ψ 1.00 lands on 1.00 (a pixel spans ~1-2 ticks)
TRUNCATION_TIP = (
    "Truncation ψ (psi) scales z towards the mean before the generator sees it. Below 1: more typical, cleaner "
    "samples; above 1: more varied, stranger ones. 1.00 means no truncation; a drag snaps to it, and "
    "double-click resets to it. The latent sliders keep z; a triangle under each shows z × ψ. Applies to the "
    "grid too."
)
RANDOMIZE_TIP = (
    "A new random latent (Ctrl+R): each value drawn from a standard normal, redrawn when it falls beyond ±3 so "
    "that every value fits its slider"
)


def set_quietly(widget: QSlider | QSpinBox | QComboBox, value: int) -> None:
    """Show a model value without the widget reporting it back as a user edit."""
    widget.blockSignals(True)
    if isinstance(widget, QComboBox):
        widget.setCurrentIndex(value)
    else:
        widget.setValue(value)
    widget.blockSignals(False)


def class_item(index: int, name: str) -> str:
    """A class picker item: "3: Dress" when the class has a name, "3" when its name is only its index."""
    return str(index) if name == str(index) else f"{index}: {name}"


def _slider(maximum: int) -> ResetSlider:
    slider = ResetSlider()
    slider.setRange(0, maximum)
    return slider


class ExploreControls(QWidget):
    status_message = Signal(str)
    slider_moved = Signal()  # the user moved a latent, truncation or blend slider (background work may wait)

    def __init__(
        self, state: Exploration, renderer: RenderService, settings: Settings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.state = state
        self.class_box = self._build_class_box()
        self.trunc_slider = _slider(2 * TICKS)
        self.trunc_slider.setToolTip(TRUNCATION_TIP)
        self.trunc_slider.valueChanged.connect(self._on_truncation)
        self.trunc_slider.double_clicked.connect(lambda: self.trunc_slider.setValue(TICKS))
        self.trunc_label = QLabel("1.00")
        self.trunc_label.setToolTip(TRUNCATION_TIP)
        trunc_title = QLabel("Truncation ψ")
        trunc_title.setToolTip(TRUNCATION_TIP)
        self.randomize_button = randomize = QPushButton("Randomize")
        randomize.setToolTip(RANDOMIZE_TIP)
        randomize.clicked.connect(lambda: state.randomize())
        reset = QPushButton("Reset")
        reset.setToolTip("Back to the selected sample's latent, undoing slider edits (Ctrl+0)")
        reset.clicked.connect(state.reset)
        self.sliders = LatentSliders(state.dims)
        self.sliders.value_changed.connect(self._on_slider)
        self.sliders.reset_requested.connect(state.reset_dim)
        self.sliders.visible_dims_changed.connect(lambda _d: self.sliders.set_values(state.z, state.truncation))
        self.directions_panel = DirectionsPanel(state, renderer, settings)
        self.directions_panel.status_message.connect(self.status_message)
        self.directions_panel.slider_moved.connect(self.slider_moved)
        self.latent_tabs = QTabWidget()
        self.latent_tabs.setDocumentMode(True)
        self.latent_tabs.addTab(self.sliders, "Dimensions")
        self.latent_tabs.addTab(self.directions_panel, "Directions")
        self.latent_tabs.setTabToolTip(0, "One slider per raw latent dimension")
        self.latent_tabs.setTabToolTip(1, "Named directions: discovered, measured attributes and classes")
        panel = make_panel(
            make_header("Latent"),
            self.class_box,
            make_row(trunc_title, self.trunc_slider, self.trunc_label),
            make_row(randomize, reset, 1),
            self.latent_tabs,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(panel)

    def _build_class_box(self) -> QWidget:
        self.class_combo = QComboBox()
        self.class_combo.setToolTip("The class to generate (class-conditional models)")
        self.class_combo.currentIndexChanged.connect(self.state.set_label)
        self.blend_combo = QComboBox()
        self.blend_combo.setToolTip("Second class for the blend slider")
        self.blend_combo.currentIndexChanged.connect(self.state.set_blend_label)
        self.blend_slider = _slider(TICKS)
        self.blend_slider.valueChanged.connect(self._on_blend)
        self.blend_value = QLabel("0.00")
        self.blend_mode = QLabel()
        self.blend_mode.setEnabled(False)  # drawn in the palette's secondary text colour
        box = make_panel(
            make_row(QLabel("Class"), self.class_combo, 1, QLabel("Blend to"), self.blend_combo),
            make_row(QLabel("Blend"), self.blend_slider, self.blend_value, self.blend_mode),
            stretch_last=False,
        )
        layout = box.layout()
        assert layout is not None
        layout.setContentsMargins(0, 0, 0, 0)
        return box

    def setup_classes(self) -> None:
        """A new model: its class names in both pickers, and what the blend slider does with it."""
        info = self.state.info
        assert info is not None
        self.class_box.setVisible(info.conditional)
        names = [class_item(i, info.class_name(i)) for i in range(info.num_classes)]
        for combo, index in ((self.class_combo, self.state.label), (self.blend_combo, self.state.blend_label)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        morph = self.state.supports_class_blend
        self.blend_slider.setToolTip(MORPH_TIP if morph else CROSSFADE_TIP)
        self.blend_mode.setText("morph" if morph else "cross-fade")
        self.blend_mode.setToolTip(self.blend_slider.toolTip())

    def show_state(self) -> None:
        state = self.state
        set_quietly(self.class_combo, state.label)
        set_quietly(self.blend_combo, state.blend_label)
        set_quietly(self.blend_slider, round(state.blend * TICKS))
        self.blend_value.setText(f"{state.blend:.2f}")
        self.show_truncation()
        self.sliders.set_values(state.z, state.truncation)

    def show_truncation(self) -> None:
        set_quietly(self.trunc_slider, round(self.state.truncation * TICKS))
        self.trunc_label.setText(f"{self.state.truncation:.2f}")

    def _on_slider(self, dim: int, value: float) -> None:
        self.state.set_dim(dim, value)
        self.slider_moved.emit()

    def _on_truncation(self, ticks: int) -> None:
        if self.trunc_slider.isSliderDown() and 0 < abs(ticks - TICKS) <= TRUNCATION_SNAP:
            self.trunc_slider.setValue(TICKS)  # re-enters with ticks == TICKS
            return
        self.state.set_truncation(ticks / TICKS)
        self.slider_moved.emit()

    def _on_blend(self, ticks: int) -> None:
        self.state.set_blend(ticks / TICKS)
        self.slider_moved.emit()
