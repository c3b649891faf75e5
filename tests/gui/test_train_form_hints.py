"""The Train form's width tooltips name the widths core/networks.py really builds."""

from __future__ import annotations

import pytest
import torch

from ganstudio.core.config import IMAGE_SIZES, ModelConfig
from ganstudio.core.networks import build_discriminator, build_generator
from ganstudio.gui.train_form_hints import discriminator_widths, generator_widths


def _hidden_widths(module: torch.nn.Module) -> list[int]:
    """Output widths of the Linear and conv layers, input side first."""
    kinds = (torch.nn.Linear, torch.nn.ConvTranspose2d, torch.nn.Conv2d)
    layers = [m for m in module.modules() if isinstance(m, kinds)]
    return [m.out_features if isinstance(m, torch.nn.Linear) else m.out_channels for m in layers]


@pytest.mark.parametrize("image_size", IMAGE_SIZES)
@pytest.mark.parametrize(("arch", "g_layers"), [("mlp", 2), ("mlp", 3), ("dcgan", 3)])
def test_widths_match_the_networks(arch, g_layers, image_size):
    cfg = ModelConfig(arch=arch, g_width=8, d_width=4, g_layers=g_layers, image_size=image_size)
    d = _hidden_widths(build_discriminator(cfg))
    assert tuple(d[:-1]) == discriminator_widths(cfg)  # the last Linear is the score head
    if arch == "mlp":
        g = _hidden_widths(build_generator(cfg))
        assert tuple(g[:-1]) == generator_widths(cfg)  # the last Linear makes the image
    else:
        generator = build_generator(cfg)
        convs = [m.out_channels for m in generator.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
        assert (generator.base_channels, *convs[:-1]) == generator_widths(cfg)  # the last conv makes the image
