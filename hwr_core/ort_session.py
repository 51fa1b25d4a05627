"""A model run by onnxruntime: exported to ONNX in memory and loaded on first use.

onnxruntime reads a word in about half of eager PyTorch's model time and a line in about 2/3
(`benchmarks/latency.py`): it fuses each convolution with its batch norm and ReLU and runs the
LSTM with its own kernels. The logits agree with PyTorch's to about 1e-5.

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

from .errors import HwrError
from .modelfile import ModelBundle, export_onnx

log = logging.getLogger(__name__)

_Signature = tuple[tuple[int, int], ...]


def onnxruntime_installed() -> bool:
    """Whether onnxruntime and onnx (which the export needs) can be imported."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def _signature(bundle: ModelBundle) -> _Signature:
    model = bundle.model
    return tuple((t.data_ptr(), t._version) for t in (*model.parameters(), *model.buffers()))


class OrtSession:
    """Runs `bundle.model` in onnxruntime. Made lazily, in the thread that first reads (export and
    load take ~0.3 s), and safe to share between threads (`Recognizer.with_options` copies).

    With `optional`, a model that cannot be made into a session is not an error: `run` returns None
    (the caller reads with PyTorch instead), `failure` says why, and the attempt is not repeated
    until the weights change.
    """

    def __init__(self, bundle: ModelBundle, threads: int | None = None, optional: bool = False) -> None:
        self.bundle = bundle
        self.threads = threads
        self.optional = optional
        self.failure: str | None = None
        self._lock = threading.Lock()
        self._made_for: _Signature | None = None
        self._session: Any = None

    def _make(self) -> Any:
        import onnxruntime as ort

        try:
            with tempfile.TemporaryDirectory(prefix="hwr-") as folder:
                data = export_onnx(self.bundle, Path(folder) / "model.onnx").read_bytes()
        except Exception as e:
            raise HwrError(f"this model cannot run in onnxruntime ({e}); use the torch backend") from e
        opts = ort.SessionOptions()
        # By default the worker threads spin for a while after each run, holding a core that the
        # decoding, the GUI thread or a training run needs next. On the 2-core machine, with a
        # training run on both cores, a VNOnDB line read in 33 ms instead of 65 and a word in 4.2
        # instead of 9.9; with the machine otherwise idle, a read took ~1 ms more (waking them).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if self.threads:
            opts.intra_op_num_threads = self.threads
        return ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])

    def run(self, batch: np.ndarray) -> np.ndarray | None:
        """(N, 1, H, W) float32 -> (N, T, C) logits; None if `optional` and no session can be made."""
        signature = _signature(self.bundle)
        with self._lock:
            if signature != self._made_for:
                self._session, self.failure = None, None
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
