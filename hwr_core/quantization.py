"""8-bit weights for onnxruntime (the "onnx-int8" engine).

Two steps, applied to the in-memory ONNX export when a session is made:

- The convolutions but the first run with 8-bit weights and activations, the activations' scales
  fixed in advance from ranges measured on training images (static quantization; onnxruntime
  fuses them into QLinearConv). The ranges live in the model file's metadata (`INT8_CALIBRATION_KEY`),
  measured when the model was trained, averaged or shipped (`calibrate_on_mixture`), with a
  fingerprint of the weights they were measured on: ranges from other weights (a model fine-tuned
  since) are ignored and the convolutions stay float. Quantized dynamically instead (ConvInteger,
  no ranges needed), the convolutions made the model 2.3-3.2x slower.
- The LSTM and linear layers get 8-bit weights with activations quantized per run (dynamic
  quantization: no ranges needed), always.

Measured on the shipped model (session 15): model time per VNOnDB line 0.65x that of the 8-bit LSTM
alone; whole reads with the shipped decoding 0.87x on lines, 0.94x on words. CER with the shipped
decoding, full val sets, within 0.13 point of the 8-bit LSTM alone on every set but Kaggle names
(26.0 -> 26.9 %, 3 names of 298); greedy, within 0.25 point on all.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import itertools
import logging
import math
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import HwrError
from .modelfile import INT8_CALIBRATION_KEY, ModelBundle, export_onnx

if TYPE_CHECKING:
    from .data.dataset import MixedTrainingSet

#: The layers quantized dynamically, whatever the model file holds.
DYNAMIC_OPS = ("LSTM", "MatMul", "Gemm")


class _QuantizationLogFilter(logging.Filter):
    """Drops the quantizer's own log records: it logs on the root logger, advising a pre-processing
    pass (measured: the same logits and speed here) and listing each tensor it leaves in float.
    Matched by path parts, which a frozen app keeps (relative there, so no absolute prefix)."""

    def filter(self, record: logging.LogRecord) -> bool:
        parts = Path(record.pathname).parts
        return not any(parts[i : i + 2] == ("onnxruntime", "quantization") for i in range(len(parts) - 1))


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    root = logging.getLogger()
    quiet = _QuantizationLogFilter()
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)


def weights_fingerprint(bundle: ModelBundle) -> str:
    """A hash of every parameter and buffer (BatchNorm statistics included: the export folds them
    into the convolutions, so they shape the ranges too)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(bundle.model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:32]


def _static_conv_options() -> dict[str, Any]:
    import onnxruntime.quantization as ortq

    if "calibration_cache_path" not in inspect.signature(ortq.quantize_static).parameters:
        raise HwrError("this onnxruntime cannot quantize with stored ranges (needs calibration_cache_path)")
    return {
        "quant_format": ortq.QuantFormat.QDQ,
        "op_types_to_quantize": ["Conv"],
        "per_channel": True,
        "activation_type": ortq.QuantType.QUInt8,  # uint8 activations, int8 weights: x86's fast pairing
        "weight_type": ortq.QuantType.QInt8,
        "calibrate_method": ortq.CalibrationMethod.MinMax,
    }


class _Inputs:
    """onnxruntime's CalibrationDataReader protocol over (N, 1, H, W) float32 batches."""

    def __init__(self, batches: Iterable[np.ndarray]) -> None:
        self._batches = iter(batches)
        self.count = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._batches, None)
        if batch is None:
            return None
        self.count += len(batch)
        return {"image": np.ascontiguousarray(batch, dtype=np.float32)}


def calibrate(bundle: ModelBundle, batches: Iterable[np.ndarray]) -> int:
    """Measure the convolutions' activation ranges on `batches` (preprocessed training images,
    (N, 1, H, W) float32) and store them in `bundle.metadata[INT8_CALIBRATION_KEY]` for these weights.
    Returns the number of images seen."""
    import onnxruntime.quantization as ortq

    options = _static_conv_options()
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        raise HwrError("no images to measure the 8-bit ranges on")
    inputs = _Inputs(itertools.chain([first], batches))
    with tempfile.TemporaryDirectory(prefix="hwr-") as folder:
        src = export_onnx(bundle, Path(folder) / "model.onnx")
        cache = Path(folder) / "ranges.json"
        with _quiet_quantizer():
            ortq.quantize_static(
                str(src), str(Path(folder) / "conv.onnx"), inputs, calibration_cache_path=cache, **options
            )
        measured = ortq.load_tensors_data(cache)
    ranges = {}
    for name in measured:
        lo, hi = (float(np.asarray(v).item()) for v in measured[name].range_value)
        ranges[name] = [lo, hi]
    bundle.metadata[INT8_CALIBRATION_KEY] = {
        "fingerprint": weights_fingerprint(bundle),
        "inputs": inputs.count,
        "ranges": ranges,
    }
    return inputs.count


def calibrate_on_mixture(bundle: ModelBundle, train_set: MixedTrainingSet, batches: int) -> int:
    """`calibrate` on the first `batches` batches of a fixed draw of the training mixture (augmented
    as in training: on the shipped model its ranges kept the 8-bit logits' best path closer to
    float than plain training images did, 99.1 % of timesteps against 98.4 %)."""
    from .batchnorm import mixture_batches

    return calibrate(bundle, (x.numpy() for x in mixture_batches(train_set, batches)))


def stored_ranges(bundle: ModelBundle) -> dict[str, list[float]] | None:
    """The model file's ranges if they were measured on these very weights and are well formed."""
    entry = bundle.metadata.get(INT8_CALIBRATION_KEY)
    if not isinstance(entry, dict) or entry.get("fingerprint") != weights_fingerprint(bundle):
        return None
    ranges = entry.get("ranges")
    if not isinstance(ranges, dict) or not ranges:
        return None
    for bounds in ranges.values():
        if not (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(isinstance(b, int | float) and math.isfinite(b) for b in bounds)
            and bounds[0] <= bounds[1]
        ):
            return None
    return ranges


def _float_convolutions(model_path: Path, ranges: dict[str, list[float]]) -> list[str]:
    """The convolutions left in float: the first, which reads the image (quantized too, on the
    shipped model, Kaggle names read 1.4 points of CER worse with the shipped decoding, VNOnDB lines
    0.2; kept in float, 0.9 and 0.0, for 1 ms more per line). Checks that every other convolution's
    input and output has a range: the names come from the export, so ranges measured under another
    torch version may not fit."""
    import onnx

    graph = onnx.load(str(model_path)).graph
    image = graph.input[0].name
    convs = [node for node in graph.node if node.op_type == "Conv"]
    needed = {t for node in convs if node.input[0] != image for t in (node.input[0], node.output[0])}
    missing = sorted(needed - set(ranges))
    if missing:
        raise HwrError(f"the stored 8-bit ranges do not fit this export (no range for {missing[0]})")
    return [node.name for node in convs if node.input[0] == image]


def quantize_int8(src: Path, dst: Path, conv_ranges: dict[str, list[float]] | None = None) -> Path:
    """Write `src` with `DYNAMIC_OPS` quantized dynamically and, given `conv_ranges` (from
    `stored_ranges`), the convolutions but the first statically."""
    import onnxruntime.quantization as ortq

    with _quiet_quantizer():
        if conv_ranges:
            options = _static_conv_options()
            options["nodes_to_exclude"] = _float_convolutions(src, conv_ranges)
            cache = dst.with_name(f"{dst.stem}-ranges.json")
            data = {k: (np.float32(lo), np.float32(hi)) for k, (lo, hi) in conv_ranges.items()}
            ortq.save_tensors_data(ortq.TensorsData(options["calibrate_method"], data), cache)
            conv = dst.with_name(f"{dst.stem}-conv.onnx")
            ortq.quantize_static(str(src), str(conv), None, calibration_cache_path=cache, **options)
            src = conv
        ortq.quantize_dynamic(
            str(src),
            str(dst),
            weight_type=ortq.QuantType.QInt8,
            op_types_to_quantize=list(DYNAMIC_OPS),
            per_channel=True,  # a scale per output row: greedy CER within 0.03 point of float, 0.1 per tensor
        )
    return dst
