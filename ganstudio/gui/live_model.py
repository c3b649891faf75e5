"""The live training generator for the GUI, rebuilt from training snapshots.

torch is imported lazily (inside the function): opening and exploring an .onnx model must never pull torch in.
This runs in the render thread (RenderService.run_job), not the UI thread.
"""

from __future__ import annotations

from ganstudio.core.events import GeneratorSnapshot
from ganstudio.runtime.backends import GeneratorBackend


def backend_from_snapshot(snapshot: GeneratorSnapshot) -> GeneratorBackend:
    """Rebuild the training run's generator from a snapshot's numpy weights, on the CPU, in eval mode."""
    from ganstudio.core.torch_backend import generator_from_snapshot

    return generator_from_snapshot(snapshot, source=f"live training (step {snapshot.step})", source_kind="live")
