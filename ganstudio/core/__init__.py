"""The engine: data, networks, losses, training, checkpoints, export, inference, latent maths, metrics.

Nothing here imports Qt; the desktop app in ganstudio.gui is a thin layer over this package.
"""
