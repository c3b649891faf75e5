"""Checks a checkpoint's tensors must pass: their digest, their shapes against the model config (before any
network is built) and the finiteness of the weights (before they are saved or used).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import replace

import torch
from torch import nn

from ganstudio.core.checkpoint_header import CheckpointError, CheckpointHeader

DIGEST_ALGORITHM = "sha256"  # with the CPU's SHA extensions about 1 GB/s, twice BLAKE2b (decisions doc)
# The names spectral norm gives a weight and its power-iteration vectors.
_SN_ORIGINAL = ".parametrizations.weight.original"
_SN_VECTORS = (".parametrizations.weight.0._u", ".parametrizations.weight.0._v")


def tensor_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """`sha256:<hex>` over every tensor's name, dtype, shape and bytes, in name order: a flipped byte, a swapped
    or a renamed tensor all change it."""
    digest = hashlib.new(DIGEST_ALGORITHM)
    for name in sorted(tensors):
        tensor = tensors[name].detach().contiguous()
        digest.update(f"{name}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        if tensor.numel():
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().data)
    return f"{DIGEST_ALGORITHM}:{digest.hexdigest()}"


def verify_digest(header: CheckpointHeader, tensors: Mapping[str, torch.Tensor], stored: str) -> None:
    if tensor_digest(tensors) != stored:
        raise CheckpointError(
            f"{header.path} is damaged: its tensor data does not match the digest saved with it (bytes changed on "
            "disk or in a copy); use an earlier copy of the run"
        )


def check_tensors_fit(header: CheckpointHeader) -> None:
    """The header's model config must describe exactly the tensors the file holds. The expected shapes come from
    networks built on the meta device (no memory), D without spectral norm (whose meta build imports ~80 MB of
    kernels) and its stored names mapped back to plain ones; so a crafted config fails here, before a real build."""
    from ganstudio.core.networks import build_discriminator, build_generator

    config = header.model_config
    with torch.device("meta"):
        generator = _shapes(build_generator(config).state_dict())
        discriminator = _shapes(build_discriminator(replace(config, spectral_norm=False)).state_dict())
    _compare(header, "G", generator, header.shapes("G"))
    # A generator-only file is fine for sampling; resuming one reports its missing D when the weights are loaded.
    if header.shapes("D"):
        _compare(header, "D", discriminator, _plain_names(header.shapes("D"), config.spectral_norm, header))
    if header.shapes("G_ema"):
        _compare(header, "G_ema", generator, header.shapes("G_ema"))


def _shapes(state: Mapping[str, torch.Tensor]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items()}


def _plain_names(
    stored: dict[str, tuple[int, ...]], spectral_norm: bool, header: CheckpointHeader
) -> dict[str, tuple[int, ...]]:
    plain: dict[str, tuple[int, ...]] = {}
    for name, shape in stored.items():
        if name.endswith(_SN_VECTORS):
            continue
        if name.endswith(_SN_ORIGINAL) != spectral_norm and name.endswith((".weight", _SN_ORIGINAL)):
            raise CheckpointError(
                f"{header.path}: the header says spectral_norm={spectral_norm} but the discriminator weights were "
                "saved the other way"
            )
        plain[name.replace(_SN_ORIGINAL, ".weight")] = shape
    return plain


def _compare(
    header: CheckpointHeader, prefix: str, expected: dict[str, tuple[int, ...]], stored: dict[str, tuple[int, ...]]
) -> None:
    what = {"G": "generator", "D": "discriminator", "G_ema": "EMA generator"}[prefix]
    if not stored:
        raise CheckpointError(f"{header.path} holds no {what} weights")
    if expected == stored:
        return
    cfg = header.model_config
    described = (
        f"{cfg.arch}, latent {cfg.latent_dim}, G width {cfg.g_width}, D width {cfg.d_width}, "
        f"{cfg.channels}x{cfg.image_size}x{cfg.image_size}, {cfg.num_classes} classes"
    )
    missing = sorted(set(expected) - set(stored))
    different = sorted(k for k in set(expected) & set(stored) if expected[k] != stored[k])
    if different:
        name = different[0]
        detail = f"{prefix}.{name} is {list(stored[name])}, the config needs {list(expected[name])}"
    elif missing:
        detail = f"{prefix}.{missing[0]} is missing"
    else:
        detail = f"{prefix}.{sorted(set(stored) - set(expected))[0]} is not part of that model"
    raise CheckpointError(
        f"{header.path}: the {what} weights it holds do not fit the architecture its header describes "
        f"({described}): {detail}; the file is damaged or was not written by GAN Studio"
    )


def non_finite(modules: Iterable[tuple[str, nn.Module | None]]) -> list[str]:
    """The names of the modules with a NaN or infinite parameter or buffer (one reduction per tensor)."""
    bad = []
    for name, module in modules:
        if module is None:
            continue
        tensors = [*module.parameters(), *module.buffers()]
        floats = [t for t in tensors if t.is_floating_point()]
        if any(not bool(torch.isfinite(t).all()) for t in floats):
            bad.append(name)
    return bad
