"""Reproducible recipes that produce the files shipped in `models/`.

    python -m ganstudio.recipes.train_classifier mnist|fashion-mnist [--data-dir D] [--out models/]

Recipes may import torch; nothing in `ganstudio.core` or `ganstudio.gui` imports them.
"""
