"""Hostile ONNX files built with onnx's helper API in milliseconds: outputs of absurd size, undecodable metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np

INVALID_UTF8 = b"\xff\xfe\xff\xfe"
_PLACEHOLDER = "\u00ff\u00ff"  # encodes to 4 bytes, swapped for INVALID_UTF8 in the serialized file


def constant_image_model(
    path: Path, side: int, channels: int = 3, metadata: dict[str, str] | None = None, invalid_utf8_in: str = ""
) -> Path:
    """A generator taking z [N, 8] whose output `image` is declared (and inferred) as [1, channels, side, side]:
    a constant expanded to that shape, so nothing big exists until it runs. `invalid_utf8_in`: a metadata key
    whose value becomes bytes that are not UTF-8."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    shape = numpy_helper.from_array(np.array([1, channels, side, side], np.int64), "shape")
    half = numpy_helper.from_array(np.full((1, 1, 1, 1), 0.5, np.float32), "half")
    graph = helper.make_graph(
        [helper.make_node("Expand", ["half", "shape"], ["image"])],
        "crafted",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 8])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, channels, side, side])],
        initializer=[shape, half],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    entries = {"latent_dim": "8", **(metadata or {})}
    if invalid_utf8_in:
        entries[invalid_utf8_in] = _PLACEHOLDER
    for key, value in entries.items():
        model.metadata_props.add(key=key, value=value)
    data = model.SerializeToString()
    if invalid_utf8_in:
        data = data.replace(_PLACEHOLDER.encode(), INVALID_UTF8)  # same length: the protobuf stays well formed
    path.write_bytes(data)
    onnx.load(str(path))  # still a loadable model (protobuf does not check UTF-8 here)
    return path
