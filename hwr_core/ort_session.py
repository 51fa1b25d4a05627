"""A model run by onnxruntime: exported to ONNX in memory and loaded on first use.

onnxruntime reads a word in about half of eager PyTorch's model time and a line in about 2/3
(`benchmarks/latency.py`): it fuses each convolution with its batch norm and ReLU and runs the
LSTM with its own kernels. The logits agree with PyTorch's to about 1e-5.

With `int8`, the LSTM and linear layers run with 8-bit weights (onnxruntime's dynamic
quantization: activations are quantized per run, so no calibration data is needed). Measured on
the shipped model (full val sets, session 14): model time ~0.8x; with the shipped decoding every
set's CER within 0.03 point of float but Kaggle names and synthetic words (0.26 and 0.10 better). The
convolutions stay in float: quantized too, the model ran 2.3-3.2x slower.

The session holds a snapshot of the weights. It is made again, on the next call, when any
parameter or buffer of the model changes (replaced, or written in place: a tensor's version
counter), so a model trained further is never read through stale weights.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .errors import HwrError
from .modelfile import ModelBundle, export_onnx

log = logging.getLogger(__name__)

_Signature = tuple[tuple[int, int], ...]


def onnxruntime_installed() -> bool:
    """Whether onnxruntime and onnx (which the export needs) can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


# The layers `int8` quantizes; ConvInteger (the convolutions) is slow in onnxruntime's CPU kernels.
INT8_OPS = ("LSTM", "MatMul", "Gemm")


class _QuantizationLogFilter(logging.Filter):
    """Drops the quantizer's own log records: it logs on the root logger, advising a pre-processing
    pass (measured: the same logits and speed here) and listing each tensor it leaves in float.
    Matched by path parts, which a frozen app keeps (relative there, so no absolute prefix)."""

    def filter(self, record: logging.LogRecord) -> bool:
        parts = Path(record.pathname).parts
        return not any(parts[i : i + 2] == ("onnxruntime", "quantization") for i in range(len(parts) - 1))


@contextlib.contextmanager
def _quiet_quantizer() -> Any:
    root = logging.getLogger()
    quiet = _QuantizationLogFilter()
    root.addFilter(quiet)
    try:
        yield
    finally:
        root.removeFilter(quiet)


def quantize_int8(src: Path, dst: Path) -> Path:
    """Write an ONNX model with `INT8_OPS` quantized (8-bit weights, dynamic activations)."""
    import onnxruntime.quantization as ortq

    with _quiet_quantizer():
        ortq.quantize_dynamic(
            str(src),
            str(dst),
            weight_type=ortq.QuantType.QInt8,
            op_types_to_quantize=list(INT8_OPS),
            per_channel=True,  # a scale per output row: greedy CER within 0.03 point of float, 0.1 per tensor
        )
    return dst


def _signature(bundle: ModelBundle) -> _Signature:
    model = bundle.model
    return tuple((t.data_ptr(), t._version) for t in (*model.parameters(), *model.buffers()))


class OrtSession:
    """Runs `bundle.model` in onnxruntime. Made lazily, in the thread that first reads (export and
    load take ~0.3 s, quantizing ~0.05 s more), and safe to share between threads
    (`Recognizer.with_options` copies).

    With `optional`, a model that cannot be made into a session is not an error: `run` returns None
    (the caller reads with PyTorch instead), `failure` says why, and the attempt is not repeated
    until the weights change. With `int8`, a model that cannot be quantized reads with its float
    weights (`int8_failure` says why).
    """

    def __init__(
        self, bundle: ModelBundle, threads: int | None = None, optional: bool = False, int8: bool = False
    ) -> None:
        self.bundle = bundle
        self.threads = threads
        self.optional = optional
        self.int8 = int8
        self.int8_failure: str | None = None  # why the session reads with float weights after all
        self.failure: str | None = None
        self._lock = threading.Lock()
        self._made_for: _Signature | None = None
        self._session: Any = None

    def _make(self) -> Any:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        # By default the worker threads spin for a while after each run, holding a core that the
        # decoding, the GUI thread or a training run needs next. On the 2-core machine, with a
        # training run on both cores, a VNOnDB line read in 33 ms instead of 65 and a word in 4.2
        # instead of 9.9; with the machine otherwise idle, a read took ~1 ms more (waking them).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if self.threads:
            opts.intra_op_num_threads = self.threads
        try:
            with tempfile.TemporaryDirectory(prefix="hwr-") as folder:
                path = export_onnx(self.bundle, Path(folder) / "model.onnx")
                if self.int8:
                    try:
                        data = quantize_int8(path, Path(folder) / "model-int8.onnx").read_bytes()
                        return ort.InferenceSession(
                            data, sess_options=opts, providers=["CPUExecutionProvider"]
                        )
                    except Exception as e:  # noqa: BLE001 - the float graph reads as well, a little slower
                        self.int8_failure = f"8-bit quantization failed ({e})"
                        log.warning("reading with float weights: %s", self.int8_failure)
                data = path.read_bytes()
        except Exception as e:
            raise HwrError(f"this model cannot run in onnxruntime ({e}); use the torch backend") from e
        return ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])

    def run(self, batch: np.ndarray) -> np.ndarray | None:
        """(N, 1, H, W) float32 -> (N, T, C) logits; None if `optional` and no session can be made."""
        signature = _signature(self.bundle)
        with self._lock:
            if signature != self._made_for:
                self._session, self.failure, self.int8_failure = None, None, None
                try:
                    self._session = self._make()
                except HwrError as e:
                    if not self.optional:
                        raise
                    self.failure = str(e)
                    log.warning("reading with PyTorch: %s", e)
                self._made_for = signature
            session = self._session
        if session is None:
            return None
        return session.run(None, {"image": batch.astype(np.float32, copy=False)})[0]
