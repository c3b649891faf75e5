"""Torch-backed generators for the GUI: the live training generator, and real class morphs.

Everything here imports torch lazily (inside functions): opening and exploring an .onnx model must never
pull torch in. These helpers run in the render thread (RenderService.run_job), not the UI thread.

Class blending: the ONNX contract takes whole int64 labels, so an ONNX model can only cross-fade two
pictures. A torch generator can do the real thing — feed G a label embedding mixed between class A and
class B — which `BlendingTorchGenerator.generate_blend` does with a forward hook on the embedding layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ganstudio.core.events import GeneratorSnapshot
from ganstudio.core.inference import GeneratorBackend, TorchGenerator, check_inputs, generator_from_snapshot

LIVE_BACKEND = "torch (live training)"


def _label_embedding(module: Any) -> Any | None:
    """The generator's nn.Embedding for labels (networks.LabelInput.embed), or None."""
    label_input = getattr(module, "label_input", None)
    return getattr(label_input, "embed", None) if label_input is not None else None


class BlendingTorchGenerator(TorchGenerator):
    """A TorchGenerator that can also morph between two classes by mixing their label embeddings."""

    def generate_blend(self, z: np.ndarray, labels_a: np.ndarray, labels_b: np.ndarray, t: float) -> np.ndarray:
        """Images for the same z with label embedding (1 - t) * embed(a) + t * embed(b); float32 (N, C, H, W)."""
        import torch

        z_arr, a = check_inputs(self.info, z, labels_a)
        _, b = check_inputs(self.info, z, labels_b)
        module = self.module
        embed = _label_embedding(module)
        if embed is None or a is None or b is None:
            raise RuntimeError("this generator has no label embedding to blend")
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


def with_blending(backend: GeneratorBackend) -> GeneratorBackend:
    """Upgrade a conditional TorchGenerator to one with `generate_blend`; anything else is returned as is."""
    if isinstance(backend, TorchGenerator) and not isinstance(backend, BlendingTorchGenerator):
        if backend.info.conditional and _label_embedding(backend.module) is not None:
            return BlendingTorchGenerator(backend.module, backend.info, str(backend.device))
    return backend


def backend_from_snapshot(snapshot: GeneratorSnapshot) -> GeneratorBackend:
    """Rebuild the training run's generator from a snapshot's numpy weights, on the CPU, in eval mode."""
    backend = generator_from_snapshot(snapshot, source=f"live training (step {snapshot.step})", backend=LIVE_BACKEND)
    return with_blending(backend)
