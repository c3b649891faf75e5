"""The torch generator backend: checkpoints, the live training generator and real class morphs.

`TorchGenerator` satisfies `ganstudio.runtime.backends.GeneratorBackend`. The runtime layer imports this module
only when a checkpoint is opened, and the GUI only for a checkpoint or the live generator, so exploring an .onnx
model never imports torch. torch itself is imported inside the functions, keeping this module cheap to import.

Class blending: the ONNX contract takes whole int64 labels, so an ONNX model can only cross-fade two pictures.
A torch generator can do the real thing, feeding G a label embedding mixed between class A and class B, which
`TorchGenerator.generate_blend` does with a forward hook on the embedding layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ganstudio.core.config import ModelConfig, TrainConfig, config_to_dict
from ganstudio.runtime.backends import check_inputs
from ganstudio.runtime.model_info import ModelInfo, ModelLoadError, SourceKind

if TYPE_CHECKING:  # only for annotations; importing torch here would defeat the lazy import
    from torch import nn

    from ganstudio.core.events import GeneratorSnapshot


def model_info_from_configs(
    model_cfg: ModelConfig,
    train_cfg: TrainConfig | None,
    source: str = "",
    backend: str = "torch",
    summary: dict[str, str] | None = None,
    source_kind: SourceKind = "checkpoint",
) -> ModelInfo:
    """ModelInfo of a generator built from its configs (a checkpoint, or a training snapshot)."""
    return ModelInfo(
        latent_dim=model_cfg.latent_dim,
        num_classes=model_cfg.num_classes,
        class_names=tuple(model_cfg.class_names),
        image_size=model_cfg.image_size,
        channels=model_cfg.channels,
        dataset=train_cfg.dataset if train_cfg else "",
        arch=model_cfg.arch,
        loss=train_cfg.loss if train_cfg else "",
        source=str(source),
        backend=backend,
        model_config=config_to_dict(model_cfg),
        train_config=config_to_dict(train_cfg) if train_cfg else None,
        summary={str(k): str(v) for k, v in (summary or {}).items()},
        source_kind=source_kind,
    )


def _label_embedding(module: Any) -> Any | None:
    """The generator's nn.Embedding for labels (networks.LabelInput.embed), or None."""
    label_input = getattr(module, "label_input", None)
    return getattr(label_input, "embed", None) if label_input is not None else None


class TorchGenerator:
    """A generator nn.Module (tanh output) run eagerly by torch; e.g. a copy of the EMA generator while training.

    The module is owned from now on: it is switched to eval mode and moved to `device`. Pass a copy when the
    original keeps training.
    """

    def __init__(self, module: nn.Module, info: ModelInfo, device: str = "cpu") -> None:
        import torch

        self.info = info
        self.device = torch.device(device)
        self._module: nn.Module | None = module.to(self.device).eval()
        self.supports_class_blend = info.conditional and _label_embedding(module) is not None

    @classmethod
    def from_checkpoint(cls, path: Path | str, device: str = "cpu", prefer_ema: bool = True) -> TorchGenerator:
        """Load a .safetensors checkpoint or a run folder's checkpoint (never unpickles anything)."""
        path = Path(path)
        if not path.exists():
            raise ModelLoadError(f"file not found: {path}")
        try:
            from ganstudio.core.checkpoint import CheckpointError, load_generator
        except ImportError as exc:
            raise ModelLoadError(f"cannot load {path}: the PyTorch backend is unavailable ({exc})") from exc
        try:
            module, model_cfg, train_cfg, summary = load_generator(path, prefer_ema=prefer_ema)
        except CheckpointError as exc:
            raise ModelLoadError(str(exc)) from exc
        info = model_info_from_configs(model_cfg, train_cfg, source=str(path), summary=summary)
        return cls(module, info, device)

    @property
    def module(self) -> nn.Module:
        if self._module is None:
            raise RuntimeError("this generator has been closed")
        return self._module

    @property
    def device_name(self) -> str:
        return str(self.device).upper()

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        import torch

        z_arr, label_arr = check_inputs(self.info, z, labels)
        module = self.module
        with torch.inference_mode():
            z_t = torch.from_numpy(z_arr).to(self.device)
            images = module(z_t) if label_arr is None else module(z_t, torch.from_numpy(label_arr).to(self.device))
            images = ((images.float() + 1.0) * 0.5).clamp_(0.0, 1.0)  # tanh range -> [0, 1], like the ONNX file
            return images.cpu().numpy()  # (N, C, H, W) float32

    def generate_blend(self, z: np.ndarray, labels_a: np.ndarray, labels_b: np.ndarray, t: float) -> np.ndarray:
        """Images for the same z with label embedding (1 - t) * embed(a) + t * embed(b); float32 (N, C, H, W)."""
        import torch

        z_arr, a = check_inputs(self.info, z, labels_a)
        _, b = check_inputs(self.info, z, labels_b)
        module = self.module
        embed = _label_embedding(module)
        if not self.supports_class_blend or embed is None or a is None or b is None:
            raise NotImplementedError("this generator has no label embedding to blend")
        t = float(min(max(t, 0.0), 1.0))
        with torch.inference_mode():
            z_t = torch.from_numpy(z_arr).to(self.device)
            a_t = torch.from_numpy(a).to(self.device)
            b_t = torch.from_numpy(b).to(self.device)
            mixed = (1.0 - t) * embed(a_t) + t * embed(b_t)  # (N, embed_dim)
            handle = embed.register_forward_hook(lambda _mod, _inp, _out: mixed)
            try:
                images = module(z_t, a_t)
            finally:
                handle.remove()
            images = ((images.float() + 1.0) * 0.5).clamp_(0.0, 1.0)  # tanh -> [0, 1], as generate()
            return images.cpu().numpy()

    def close(self) -> None:
        self._module = None

    def __enter__(self) -> TorchGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TorchGenerator({self.info.source or 'in memory'!r}, device={str(self.device)!r})"


def generator_from_snapshot(
    snapshot: GeneratorSnapshot, source: str = "", backend: str = "torch", source_kind: SourceKind = "live"
) -> TorchGenerator:
    """A training snapshot's generator in torch (CPU, eval mode), for exploring or measuring a run mid-training.

    Built on the meta device and filled with copies of the snapshot's arrays: nothing is initialised randomly,
    so this never draws from torch's global RNG, which the training thread samples its noise from.
    """
    import torch

    from ganstudio.core.networks import build_generator

    cfg = snapshot.model_config
    with torch.device("meta"):
        module = build_generator(cfg)
    # Copies: the snapshot's arrays may be read-only and stay shared with the training thread's record.
    state = {name: torch.from_numpy(np.array(array, copy=True)) for name, array in snapshot.weights.items()}
    try:
        module.load_state_dict(state, assign=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ValueError(f"the training snapshot does not match its model config: {first}") from exc
    summary = {"step": str(snapshot.step)}
    if snapshot.elapsed_seconds:
        summary["elapsed_seconds"] = str(round(snapshot.elapsed_seconds, 3))
    info = model_info_from_configs(
        cfg,
        snapshot.train_config,
        source=source or f"training step {snapshot.step}",
        backend=backend,
        summary=summary,
        source_kind=source_kind,
    )
    return TorchGenerator(module, info)


__all__ = ["TorchGenerator", "generator_from_snapshot", "model_info_from_configs"]
