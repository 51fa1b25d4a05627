import logging
import threading

import numpy as np
import onnx
import pytest
import torch

from hwr_core import ort_session, quantization, recognizer
from hwr_core.charset import CTCCodec
from hwr_core.errors import HwrError
from hwr_core.modelfile import (
    INT8_CALIBRATION_KEY,
    ModelBundle,
    export_onnx,
    load_model,
    new_bundle,
    save_model,
)
from hwr_core.recognizer import Recognizer, resolve_backend


def _ink_image() -> np.ndarray:
    image = np.full((40, 240), 255, np.uint8)
    image[15:25, 20:100] = 0
    image[12:28, 140:220] = 0
    return image


@pytest.fixture
def exports(monkeypatch):
    """Counts the ONNX exports the sessions make."""
    calls: list[int] = []
    real = ort_session.export_onnx
    monkeypatch.setattr(ort_session, "export_onnx", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_auto_is_onnxruntime_int8_where_installed_else_torch(monkeypatch):
    assert resolve_backend("auto") == "onnx-int8"  # onnxruntime is a dependency of the project
    monkeypatch.setattr(recognizer, "onnxruntime_installed", lambda: False)
    assert resolve_backend("auto") == "torch"
    assert Recognizer(new_bundle("tiny", CTCCodec()), backend="auto").backend == "torch"
    assert [resolve_backend(b) for b in ("torch", "onnx", "onnx-int8")] == ["torch", "onnx", "onnx-int8"]


def test_an_unknown_backend_is_a_clear_error():
    with pytest.raises(HwrError, match="unknown backend 'tensorrt'"):
        Recognizer(new_bundle("tiny", CTCCodec()), backend="tensorrt")  # type: ignore[arg-type]


def test_onnx_reads_like_torch():
    bundle = new_bundle("small", CTCCodec())
    batch = np.random.default_rng(0).random((2, 1, 32, 160), dtype=np.float32)
    onnx_logits = Recognizer(bundle, backend="onnx").logits(batch)
    torch_logits = Recognizer(bundle, backend="torch").logits(batch)
    assert onnx_logits.shape == torch_logits.shape
    np.testing.assert_allclose(onnx_logits, torch_logits, atol=1e-4)


def test_int8_quantizes_the_lstm_and_linear_layers_only(tmp_path):
    bundle = new_bundle("tiny", CTCCodec())
    fp32 = export_onnx(bundle, tmp_path / "model.onnx")
    int8 = quantization.quantize_int8(fp32, tmp_path / "model-int8.onnx")
    ops = {node.op_type for node in onnx.load(str(int8)).graph.node}
    assert {"DynamicQuantizeLSTM", "MatMulInteger"} <= ops and not ops & {"LSTM", "MatMul"}
    assert (
        "Conv" in ops and "ConvInteger" not in ops
    )  # dynamically quantized convolutions ran 2.3-3.2x slower
    assert "QuantizeLinear" not in ops  # no ranges given: the convolutions stay float
    assert int8.stat().st_size < fp32.stat().st_size


def test_int8_reads_close_to_float(caplog):
    bundle = new_bundle("small", CTCCodec())
    batch = np.random.default_rng(0).random((2, 1, 32, 160), dtype=np.float32)
    rec = Recognizer(bundle, backend="onnx-int8")
    with caplog.at_level("DEBUG"):  # the quantizer logs on the root logger: kept out of the user's log
        int8 = rec.logits(batch)
    assert caplog.records == []
    assert rec.engine == "onnxruntime (8-bit LSTM)"
    fp32 = Recognizer(bundle, backend="onnx").logits(batch)
    assert not np.array_equal(int8, fp32)  # quantized, not the float graph
    np.testing.assert_allclose(int8, fp32, atol=0.01 * float(np.ptp(fp32)))
    np.testing.assert_array_equal(int8.argmax(-1), fp32.argmax(-1))


@pytest.mark.parametrize(
    ("pathname", "kept"),
    [
        ("/venv/lib/python3.11/site-packages/onnxruntime/quantization/quantize.py", False),
        ("onnxruntime/quantization/onnx_quantizer.py", False),  # a frozen app's relative paths
        ("onnxruntime/capi/onnxruntime_inference_collection.py", True),
        ("/work/hwr_core/recognizer.py", True),
    ],
)
def test_only_the_quantizers_records_are_dropped(pathname, kept):
    record = logging.LogRecord("root", logging.WARNING, pathname, 1, "message", None, None)
    assert quantization._QuantizationLogFilter().filter(record) is kept


def test_int8_reads_with_float_weights_when_quantizing_fails(monkeypatch, caplog):
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ModuleNotFoundError("No module named 'fusion_utils'")  # as in a bundle that lacks it

    monkeypatch.setattr(ort_session, "quantize_int8", broken)
    bundle = new_bundle("tiny", CTCCodec())
    rec = Recognizer(bundle, backend="auto")
    batch = np.random.default_rng(0).random((1, 1, 32, 96), dtype=np.float32)
    with caplog.at_level("WARNING"):
        logits = rec.logits(batch)
    assert "fusion_utils" in caplog.text and rec.engine == "onnxruntime"
    np.testing.assert_array_equal(logits, Recognizer(bundle, backend="onnx").logits(batch))


def test_the_session_threads_do_not_spin_after_a_run():
    """Spinning worker threads hold a core the decoding, the GUI or a training run needs next."""
    rec = Recognizer(new_bundle("tiny", CTCCodec()), backend="onnx")
    rec.recognize(_ink_image())
    options = rec._session._session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_the_session_is_made_on_first_use_and_shared_by_copies(exports):
    rec = Recognizer(new_bundle("tiny", CTCCodec()), backend="onnx")
    assert exports == []  # nothing exported in the constructor (the GUI thread makes recognizers)
    rec.recognize(_ink_image())
    greedy = rec.with_options(decode_cfg=rec.decode_cfg)
    greedy.recognize(_ink_image())
    rec.recognize(_ink_image())
    assert len(exports) == 1


def test_changed_weights_are_exported_again_before_the_next_read(exports):
    bundle = new_bundle("tiny", CTCCodec())
    rec = Recognizer(bundle, backend="onnx")
    batch = np.random.default_rng(1).random((1, 1, 32, 64), dtype=np.float32)
    before = rec.logits(batch)
    with torch.no_grad():  # what an optimizer step or load_state_dict does
        bundle.model.head.fc.bias[3] += 5.0
    after = rec.logits(batch)
    assert len(exports) == 2
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, Recognizer(bundle, backend="torch").logits(batch), atol=1e-4)


def test_prepare_makes_the_session_so_the_first_read_does_not(exports):
    rec = Recognizer(new_bundle("tiny", CTCCodec()), backend="onnx")
    rec.prepare()
    assert len(exports) == 1
    rec.recognize(_ink_image())
    assert len(exports) == 1


def test_exports_from_two_threads_at_once_both_succeed(tmp_path):
    # torch.onnx.export keeps global state: the app's worker may export while another thread does
    bundles = [new_bundle("tiny", CTCCodec()) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def export(k: int) -> None:
        try:
            for i in range(3):
                barrier.wait()
                export_onnx(bundles[k], tmp_path / f"{k}-{i}.onnx")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=export, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(list(tmp_path.glob("*.onnx"))) == 6


def _broken_export(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise RuntimeError("unsupported operator")


def test_auto_reads_with_torch_when_onnxruntime_cannot_run_the_model(monkeypatch, caplog):
    monkeypatch.setattr(ort_session, "export_onnx", _broken_export)
    bundle = new_bundle("tiny", CTCCodec())
    rec = Recognizer(bundle, backend="auto")
    assert rec.engine == "onnxruntime (8-bit LSTM)"  # nothing tried yet
    with caplog.at_level("WARNING"):
        result = rec.recognize(_ink_image())
    assert result.text == Recognizer(bundle, backend="torch").recognize(_ink_image()).text
    assert rec.engine == "PyTorch" and "unsupported operator" in caplog.text
    caplog.clear()
    rec.recognize(_ink_image())
    assert caplog.text == ""  # not tried again for the same weights


def test_an_explicit_onnx_backend_reports_a_model_it_cannot_run(monkeypatch):
    monkeypatch.setattr(ort_session, "export_onnx", _broken_export)
    rec = Recognizer(new_bundle("tiny", CTCCodec()), backend="onnx")
    with pytest.raises(HwrError, match="cannot run in onnxruntime.*unsupported operator"):
        rec.recognize(_ink_image())


# --------------------------------------------------------------------------- 8-bit convolutions


def _ink_batches(bundle: ModelBundle, n: int = 4) -> list[np.ndarray]:
    """Preprocessed-looking inputs: light paper with dark strokes, as the ranges are measured on."""
    rng = np.random.default_rng(7)
    batches = []
    for _ in range(n):
        x = np.ones((2, 1, bundle.preprocess.height, 128), np.float32)
        for _ in range(12):
            r, c = rng.integers(4, bundle.preprocess.height - 6), rng.integers(0, 120)
            x[:, 0, r : r + 3, c : c + 8] = 0.0
        batches.append(x)
    return batches


@pytest.fixture
def calibrated() -> ModelBundle:
    bundle = new_bundle("tiny", CTCCodec())
    assert quantization.calibrate(bundle, _ink_batches(bundle)) == 8
    return bundle


def test_calibrated_convolutions_read_in_8_bits_close_to_float(calibrated, tmp_path, caplog):
    ranges = quantization.stored_ranges(calibrated)
    fp32 = export_onnx(calibrated, tmp_path / "model.onnx")
    conv_count = sum(n.op_type == "Conv" for n in onnx.load(str(fp32)).graph.node)
    assert ranges is not None and len(ranges) >= conv_count  # each convolution's input and output
    int8 = quantization.quantize_int8(fp32, tmp_path / "int8.onnx", ranges)
    nodes = onnx.load(str(int8)).graph.node
    ops = [node.op_type for node in nodes]
    assert ops.count("Conv") == conv_count and ops.count("DequantizeLinear") >= 2 * (conv_count - 1)
    float_convs = [n for n in nodes if n.op_type == "Conv" and n.input[0] == "image"]
    assert len(float_convs) == 1  # the first convolution reads the image unquantized
    rec = Recognizer(calibrated, backend="auto")
    assert rec.engine == "onnxruntime (8-bit convolutions and LSTM)"
    batch = _ink_batches(calibrated, 1)[0]
    with caplog.at_level("DEBUG"):
        logits = rec.logits(batch)
    assert caplog.records == [] and rec.engine == "onnxruntime (8-bit convolutions and LSTM)"
    lstm_only = ort_session.OrtSession(new_bundle("tiny", CTCCodec()), int8=True).run(batch)
    fp32_logits = Recognizer(calibrated, backend="onnx").logits(batch)
    assert not np.array_equal(logits, lstm_only)
    np.testing.assert_allclose(logits, fp32_logits, atol=0.05 * float(np.ptp(fp32_logits)))


def test_the_ranges_survive_saving_and_loading(calibrated, tmp_path):
    loaded = load_model(save_model(calibrated, tmp_path / "m.safetensors"))
    assert quantization.stored_ranges(loaded) == quantization.stored_ranges(calibrated)


def test_ranges_of_other_weights_are_not_used(calibrated):
    with torch.no_grad():  # fine-tuned since the ranges were measured
        next(calibrated.model.parameters()).mul_(1.5)
    assert quantization.stored_ranges(calibrated) is None
    rec = Recognizer(calibrated, backend="auto")
    rec.logits(_ink_batches(calibrated, 1)[0])
    assert rec.engine == "onnxruntime (8-bit LSTM)"


@pytest.mark.parametrize("bounds", [[0.0, float("nan")], [2.0, 1.0], [0.0], "0 1"])
def test_malformed_ranges_are_not_used(calibrated, bounds):
    ranges = calibrated.metadata[INT8_CALIBRATION_KEY]["ranges"]
    ranges[next(iter(ranges))] = bounds
    assert quantization.stored_ranges(calibrated) is None


def test_ranges_that_do_not_fit_the_export_leave_the_convolutions_float(calibrated, caplog):
    entry = calibrated.metadata[INT8_CALIBRATION_KEY]
    entry["ranges"] = {f"renamed/{k}": v for k, v in entry["ranges"].items()}  # another torch's names
    rec = Recognizer(calibrated, backend="auto")
    batch = _ink_batches(calibrated, 1)[0]
    with caplog.at_level("WARNING"):
        logits = rec.logits(batch)
    assert "do not fit this export" in caplog.text and rec.engine == "onnxruntime (8-bit LSTM)"
    np.testing.assert_array_equal(logits, ort_session.OrtSession(calibrated, int8=True).run(batch))


def test_calibrating_on_nothing_is_a_clear_error():
    with pytest.raises(HwrError, match="no images"):
        quantization.calibrate(new_bundle("tiny", CTCCodec()), [])
