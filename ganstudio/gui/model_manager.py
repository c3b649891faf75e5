"""Opening models for the GUI: files, run folders, the shipped models, recent files and the live generator.

Loading runs in the render thread (RenderService.run_job), so a slow checkpoint load (torch import) never
freezes the window. Results come back as `opened(backend, path)` or `failed(path, message)`; the window keeps
its previous model on failure. `ModelInfoPanel` shows what is known about the current model.
"""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ganstudio.gui.render_worker import RenderService
from ganstudio.gui.settings import Settings
from ganstudio.paths import DEFAULT_MODEL_STEM, MODEL_SUFFIXES, models_dir
from ganstudio.runtime.backends import GeneratorBackend, open_generator
from ganstudio.runtime.model_info import ModelInfo, ModelLoadError, describe_training

DEFAULT_MODEL = f"{DEFAULT_MODEL_STEM}.onnx"


def looks_like_generator(path: Path) -> bool:
    """Cheap check without onnx/onnxruntime: generator files carry a `latent_dim` metadata key (DESIGN.md §8);
    other models shipped alongside (e.g. the metrics classifier) do not."""
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return data.find(b"latent_dim") >= 0
    except (OSError, ValueError):  # unreadable or empty
        return False


def shipped_models() -> list[Path]:
    """The generator .onnx files in the shipped models folder."""
    folder = models_dir()
    return [p for p in sorted(folder.glob("*.onnx")) if looks_like_generator(p)] if folder.is_dir() else []


def default_model() -> Path | None:
    """The model the window opens with: models/mnist.onnx, else the first shipped model, else None."""
    models = shipped_models()
    preferred = [p for p in models if p.name == DEFAULT_MODEL]
    candidates = preferred or models
    return candidates[0] if candidates else None


def is_model_path(path: str | Path) -> bool:
    path = Path(path)
    return path.is_dir() or path.suffix.lower() in MODEL_SUFFIXES


def backend_label(backend: GeneratorBackend | None) -> str:
    """Status-bar text: 'onnxruntime CPU', 'torch CPU', 'torch (live training) CPU'."""
    if backend is None:
        return "no model"
    name = f"{backend.info.backend} (live training)" if backend.info.is_live else backend.info.backend
    return f"{name} {backend.device_name}"


def source_label(info: ModelInfo, path: str = "") -> str:
    """Status-bar text naming what is explored: 'File: mnist.onnx', 'Live: training step 1,200'."""
    if info.is_live:
        step = info.summary.get("step", "")
        return f"Live: training step {int(step):,}" if step.isdigit() else "Live: training run"
    where = path or info.source
    return f"File: {Path(where).name}" if where else "In memory"


def load_model(path: str) -> GeneratorBackend:
    """Open a model file or run folder (runs in the render thread). Raises ModelLoadError."""
    try:
        backend = open_generator(path)
    except ModelLoadError:
        raise
    except Exception as exc:  # anything unforeseen still becomes a readable message
        raise ModelLoadError(f"cannot open {path}: {exc}") from exc
    return backend


def _load_snapshot(snapshot: Any) -> GeneratorBackend:
    from ganstudio.gui.live_model import backend_from_snapshot

    return backend_from_snapshot(snapshot)


class ModelManager(QObject):
    """Loads models in the render thread and keeps the recent-files list."""

    loading = Signal(str)  # path
    opened = Signal(object, str)  # backend, path ("" for the live generator)
    failed = Signal(str, str)  # path, readable message
    recent_changed = Signal(list)

    def __init__(self, renderer: RenderService, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._renderer = renderer
        self._settings = settings
        self._jobs: dict[int, tuple[str, str]] = {}  # job id -> (kind, path)
        self._snapshot_busy = False
        self._next_snapshot: Any = None
        renderer.job_finished.connect(self._on_job)

    def recent_files(self) -> list[str]:
        return self._settings.recent_files()

    def clear_recent(self) -> None:
        self._settings.clear_recent_files()
        self.recent_changed.emit([])

    def is_loading(self) -> bool:
        return any(kind == "file" for kind, _ in self._jobs.values())

    def open(self, path: str | Path) -> None:
        """Start opening a model; `opened` or `failed` follows."""
        path = str(path)
        if not Path(path).exists():
            self.failed.emit(path, f"file not found: {path}")
            if path in self._settings.recent_files():
                self._settings.remove_recent_file(path)
                self.recent_changed.emit(self._settings.recent_files())
            return
        self.loading.emit(path)
        job = self._renderer.run_job(lambda: load_model(path))
        self._jobs[job] = ("file", path)

    def open_snapshot(self, snapshot: Any) -> None:
        """Build a backend from a training snapshot; while one is being built only the newest waits."""
        if self._snapshot_busy:
            self._next_snapshot = snapshot
            return
        self._snapshot_busy = True
        job = self._renderer.run_job(lambda: _load_snapshot(snapshot))
        self._jobs[job] = ("snapshot", "")

    @Slot(int, object, object)
    def _on_job(self, job_id: int, value: Any, error: Any) -> None:
        if job_id not in self._jobs:
            return
        kind, path = self._jobs.pop(job_id)
        if kind == "snapshot":
            self._snapshot_busy = False
            if error is None:
                self.opened.emit(value, "")
            else:
                self.failed.emit("", f"could not use the live training generator: {error}")
            if self._next_snapshot is not None:
                snapshot, self._next_snapshot = self._next_snapshot, None
                self.open_snapshot(snapshot)
            return
        if error is not None:
            self.failed.emit(path, str(error))
            return
        self._settings.add_recent_file(path)
        self.recent_changed.emit(self._settings.recent_files())
        self.opened.emit(value, path)


class ModelInfoPanel(QWidget):
    """The Model Info dock: architecture, dataset, latent size, classes, training summary."""

    FIELDS = (
        ("Model", "name"),
        ("Backend", "backend"),
        ("Architecture", "arch"),
        ("Images", "images"),
        ("Latent size", "latent"),
        ("Classes", "classes"),
        ("Dataset", "dataset"),
        ("Loss", "loss"),
        ("Training", "training"),
        ("Source", "source"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._values: dict[str, QLabel] = {}
        for title, key in self.FIELDS:
            label = QLabel("—")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._values[key] = label
            form.addRow(f"{title}:", label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        self.set_info(None)

    def text(self, key: str) -> str:
        return self._values[key].text()

    def set_info(self, info: ModelInfo | None, backend_text: str = "") -> None:
        if info is None:
            for label in self._values.values():
                label.setText("—")
            self._values["name"].setText("No model loaded")
            return
        source = info.source or "(in memory)"
        colour = {1: "grayscale", 3: "RGB"}.get(info.channels, f"{info.channels} channels")
        if info.conditional:
            names = ", ".join(info.class_name(i) for i in range(info.num_classes))
            classes = f"{info.num_classes}: {names}"
        else:
            classes = "unconditional"
        training = describe_training(info.summary)
        values = {
            "name": Path(source).name if info.source else source,
            "backend": backend_text or info.backend,
            "arch": (info.arch or "unknown").upper() if info.arch in ("mlp", "dcgan") else (info.arch or "unknown"),
            "images": f"{info.image_size}×{info.image_size} {colour}",
            "latent": str(info.latent_dim),
            "classes": classes,
            "dataset": info.dataset or "unknown",
            "loss": info.loss or "unknown",
            "training": training,
            "source": source,
        }
        for key, value in values.items():
            self._values[key].setText(value)
        self._values["source"].setToolTip(source)
        self.setToolTip(info.describe())
