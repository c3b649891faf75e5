"""The 2-D Playground: a tiny GAN on points in the plane, to watch each player move.

Torch-free modules: `config` (the declared options), `distributions` (the real point sets), `coverage` (mode
coverage and a JS estimate) and `presets`. `nets` and `trainer` import torch; the GUI and CLI import them only
when training starts, so opening the app stays torch-free.
"""
