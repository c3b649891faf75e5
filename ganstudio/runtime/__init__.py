"""The runtime layer: what exploring a trained generator needs, with neither torch nor Qt.

Generator backends and the ONNX contract, latent maths and latent files, imaging and the exploration state live
here; the GUI's Explore and Interpolate tabs and the CLI's model commands are both clients of it. Importing this
package (or any module in it) never imports torch or Qt: tests/core/test_layering.py enforces that.
"""
