"""Properties measured from the pixels of generated images: ink, slant, width and height.

Each is a smooth function of the image (moments, not thresholds), so a linear fit in z can follow it:
    ink     mean intensity: at a fixed glyph size, thicker strokes put more ink on the page
    slant   horizontal shear of the ink, -cov(x, y) / var(y): positive leans right (the top sits right of the
            bottom; rows count downwards)
    width   4 standard deviations of the ink's x positions, as a fraction of the image width
    height  the same for y (4 sigma covers a uniform stroke of that extent: sqrt(12) ~ 3.5, plus the tails)
numpy only.
"""

from __future__ import annotations

import numpy as np

ATTRIBUTES = ("ink", "slant", "width", "height")
ATTRIBUTE_HELP = {
    "ink": "Stroke thickness: the mean intensity of the image",
    "slant": "Lean of the strokes: right-leaning is positive",
    "width": "Horizontal extent of the ink",
    "height": "Vertical extent of the ink",
}


def measure(images: np.ndarray) -> dict[str, np.ndarray]:
    """(N, C, H, W) float in [0, 1] -> {attribute: (N,) float64}. Colour images are averaged to grey."""
    x = np.clip(np.asarray(images, np.float64), 0.0, 1.0).mean(axis=1)  # (N, H, W)
    _, h, w = x.shape
    mass = x.sum(axis=(1, 2)) + 1e-9
    rows = np.arange(h, dtype=np.float64)[None, :, None]
    cols = np.arange(w, dtype=np.float64)[None, None, :]
    mean_y = (x * rows).sum(axis=(1, 2)) / mass
    mean_x = (x * cols).sum(axis=(1, 2)) / mass
    dy = rows - mean_y[:, None, None]
    dx = cols - mean_x[:, None, None]
    var_y = (x * dy**2).sum(axis=(1, 2)) / mass
    var_x = (x * dx**2).sum(axis=(1, 2)) / mass
    cov = (x * dx * dy).sum(axis=(1, 2)) / mass
    return {
        "ink": mass / (h * w),
        "slant": -cov / (var_y + 1e-9),
        "width": 4.0 * np.sqrt(var_x) / w,
        "height": 4.0 * np.sqrt(var_y) / h,
    }
