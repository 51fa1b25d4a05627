"""A model run by onnxruntime: exported to ONNX in memory and loaded on first use.

onnxruntime reads a word in about half of eager PyTorch's model time and a line in about 2/3
(`benchmarks/latency.py`): it fuses each convolution with its batch norm and ReLU and runs the
LSTM with its own kernels. The logits agree with PyTorch's to about 1e-5.

With `int8`, the model runs with 8-bit weights: the LSTM and linear layers always, the
convolutions too where the model file holds activation ranges measured on its weights
(hwr_core/quantization.py).

The session holds a snapshot of the weights. It is made again, on the next call, when any
parameter or buffer of the model changes (replaced, or written in place: a tensor's version
counter), so a model trained further is never read through stale weights.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .engine_cache import CachedEngine, EngineCache
from .errors import HwrError
from .modelfile import INT8_CALIBRATION_KEY, ModelBundle, export_onnx
from .quantization import quantize_int8, stored_ranges

log = logging.getLogger(__name__)

_Signature = tuple[tuple[int, int], ...]
INT8_ALL = "8-bit convolutions and LSTM"
INT8_LSTM = "8-bit LSTM"


def onnxruntime_installed() -> bool:
    """Whether onnxruntime and onnx (which the export needs) can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def _signature(bundle: ModelBundle) -> _Signature:
    model = bundle.model
    return tuple((t.data_ptr(), t._version) for t in (*model.parameters(), *model.buffers()))


class OrtSession:
    """Runs `bundle.model` in onnxruntime. Made lazily, in the thread that first reads (export and
    load take ~0.3 s, quantizing ~0.05 s more), and safe to share between threads
    (`Recognizer.with_options` copies).

    With `optional`, a model that cannot be made into a session is not an error: `run` returns None
    (the caller reads with PyTorch instead), `failure` says why, and the attempt is not repeated
    until the weights change. With `int8`, layers that cannot be quantized read with their float
    weights (`int8_failure` says why, `int8_layers` what is quantized). With a `cache`, a graph
    built once for these weights is read from disk instead (hwr_core/engine_cache.py).
    """

    def __init__(
        self,
        bundle: ModelBundle,
        threads: int | None = None,
        optional: bool = False,
        int8: bool = False,
        cache: EngineCache | None = None,
    ) -> None:
        self.bundle = bundle
        self.threads = threads
        self.optional = optional
        self.int8 = int8
        self.cache = cache  # where built graphs are kept between runs (None: build every time)
        self.int8_failure: str | None = None  # why (some) layers read with float weights after all
        # What runs in 8 bits (None: nothing): what the file promises until the session is made,
        # then what does.
        self.int8_layers: str | None = None
        if int8:
            self.int8_layers = INT8_ALL if INT8_CALIBRATION_KEY in bundle.metadata else INT8_LSTM
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
        # Measured once: the cache key and the quantizer both depend on them.
        ranges = stored_ranges(self.bundle) if self.int8 else None
        cache = self.cache
        key = EngineCache.key(self.bundle, self.int8, ranges) if cache is not None else ""
        if cache is not None:
            cached = cache.get(key)
            if cached is not None:
                try:
                    session = ort.InferenceSession(
                        cached.data, sess_options=opts, providers=["CPUExecutionProvider"]
                    )
                except Exception as e:  # noqa: BLE001 - an unreadable graph is built again below
                    log.warning("building the engine again: the cached one does not load (%s)", e)
                else:
                    self.int8_layers, self.int8_failure = cached.int8_layers, cached.int8_failure
                    return session
        data = self._build(ranges)
        session = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
        if cache is not None:
            cache.put(key, CachedEngine(data, self.int8_layers, self.int8_failure))
        return session

    def _build(self, ranges: dict[str, list[float]] | None) -> bytes:
        """The graph onnxruntime reads: the model exported, and quantized if `int8` (the
        convolutions too with `ranges`, from `stored_ranges`)."""
        try:
            with tempfile.TemporaryDirectory(prefix="hwr-") as folder:
                path = export_onnx(self.bundle, Path(folder) / "model.onnx")
                if self.int8:
                    data = self._quantized(path, Path(folder), ranges)
                    if data is not None:
                        return data
                return path.read_bytes()
        except Exception as e:
            raise HwrError(f"this model cannot run in onnxruntime ({e}); use the torch backend") from e

    def _quantized(self, path: Path, folder: Path, ranges: dict[str, list[float]] | None) -> bytes | None:
        """The 8-bit graph: convolutions included where the file's ranges fit these weights
        (`ranges`), else LSTM and linear layers only; None (read the float graph) if quantizing fails."""
        for conv_ranges in (ranges, None) if ranges else (None,):
            try:
                data = quantize_int8(path, folder / "model-int8.onnx", conv_ranges).read_bytes()
            except Exception as e:  # noqa: BLE001 - a less quantized graph reads as well, a little slower
                what = "the convolutions" if conv_ranges else "all layers"
                self.int8_failure = f"8-bit quantization failed ({e})"
                log.warning("reading %s with float weights: %s", what, self.int8_failure)
                continue
            self.int8_layers = INT8_ALL if conv_ranges else INT8_LSTM
            return data
        self.int8_layers = None
        return None

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
