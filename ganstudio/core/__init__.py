"""The engine: option declarations, data, networks, losses, training, checkpoints, export, the torch generator
backend and quality metrics.

Nothing here imports Qt. Exploring a trained generator needs none of this: ganstudio.runtime does that without
torch, and imports core.torch_backend lazily only when a checkpoint or a live run is opened.
"""
