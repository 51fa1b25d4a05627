"""Model files and training checkpoints: safetensors tensors + JSON metadata, never pickle.

A model file is one `.safetensors` file whose header metadata holds, under the key `hwr`, a JSON
document: format marker and version, charset, model/preprocess/decode configs, training summary,
metrics and provenance. Loading validates all of it against the tensors before building the model,
so a file from elsewhere, a truncated file or a hand-edited one gets a clear `ModelFileError`.

A checkpoint is the same kind of file with the optimizer, scheduler and RNG state added, so a
killed run resumes exactly; it is written atomically (temporary file, fsync, rename).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save as st_save

from . import __version__
from .charset import CTCCodec
from .config import DecodeConfig, ModelConfig, PreprocessConfig, from_dict, geometry_error, to_dict
from .errors import HwrError, ModelFileError
from .fileio import atomic_write_bytes
from .model import CRNN

log = logging.getLogger(__name__)

FORMAT = "hwr-studio-model"
CHECKPOINT_FORMAT = "hwr-studio-checkpoint"
FORMAT_VERSION = 1
_META_KEY = "hwr"
#: Metadata: the 8-bit engine's activation ranges and the weights they fit (quantization.calibrate):
#: {"fingerprint": quantization.weights_fingerprint(...), "inputs": n, "ranges": {tensor: [lo, hi]}}.
INT8_CALIBRATION_KEY = "int8_calibration"
_MAX_FILE_BYTES = 2 * 1024**3
_PICKLE_MAGIC = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK\x03\x04")


@dataclass
class ModelBundle:
    """A ready model: network (eval mode), codec and the configs it was trained with."""

    model: CRNN
    codec: CTCCodec
    preprocess: PreprocessConfig
    decode: DecodeConfig = field(default_factory=DecodeConfig)
    metadata: dict[str, Any] = field(default_factory=dict)  # training summary, metrics, provenance, name
    path: Path | None = None

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or (self.path.stem if self.path else "unsaved model"))

    def card(self) -> dict[str, Any]:
        """What the GUI's model card and `hwr info` show."""
        return {
            "name": self.name,
            "path": str(self.path) if self.path else None,
            "variant": self.model.config.variant,
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "classes": self.codec.num_classes,
            "alphabet": self.codec.alphabet,
            "input_height": self.preprocess.height,
            "width_scale": self.preprocess.width_scale,
            "decoding": self.decode.describe(),
            # images the 8-bit convolutions' ranges were measured on (quantization.py); None: none stored
            "int8_ranges_images": (self.metadata.get(INT8_CALIBRATION_KEY) or {}).get("inputs"),
            "created": self.metadata.get("created"),
            "app_version": self.metadata.get("app_version"),
            "training": self.metadata.get("training", {}),
            "metrics": self.metadata.get("metrics", {}),
            "metrics_greedy": self.metadata.get("metrics_greedy", {}),
            "description": self.metadata.get("description", ""),
        }


def new_bundle(
    variant: str,
    codec: CTCCodec,
    preprocess: PreprocessConfig | None = None,
    dropout: float = 0.2,
    seed: int = 0,
) -> ModelBundle:
    """A freshly initialised model; the same seed gives the same weights (global RNG left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CRNN(ModelConfig(variant=variant, num_classes=codec.num_classes, dropout=dropout))
    return ModelBundle(model=model, codec=codec, preprocess=preprocess or PreprocessConfig())


# --------------------------------------------------------------------------- writing


def _model_metadata(bundle: ModelBundle, kind: str) -> dict[str, Any]:
    meta = dict(bundle.metadata)
    meta.update(
        format=kind,
        format_version=FORMAT_VERSION,
        app_version=__version__,
        created=meta.get("created") or _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        charset=bundle.codec.to_dict(),
        model=to_dict(bundle.model.config),
        preprocess=to_dict(bundle.preprocess),
        decode=to_dict(bundle.decode),
    )
    return meta


def _serialize(tensors: Mapping[str, torch.Tensor], meta: dict[str, Any]) -> bytes:
    clean = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    return st_save(clean, metadata={_META_KEY: json.dumps(meta, ensure_ascii=False)})


def save_model(bundle: ModelBundle, path: str | os.PathLike[str]) -> Path:
    """Write the model file (weights + metadata) atomically; returns the path."""
    path = Path(path)
    meta = _model_metadata(bundle, FORMAT)
    data = _serialize({f"model.{k}": v for k, v in bundle.model.state_dict().items()}, meta)
    atomic_write_bytes(path, data)
    bundle.path = path
    return path


# --------------------------------------------------------------------------- reading


def _shaped_like_safetensors(head: bytes, size: int) -> bool:
    """The first 9 bytes: a little-endian u64 header length that fits the file, then the JSON's '{'."""
    return len(head) == 9 and 8 + int.from_bytes(head[:8], "little") <= size and head[8:9] == b"{"


def _read_file(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    if not path.exists():
        raise ModelFileError(f"{path}: no such model file")
    if path.is_dir():
        candidates = sorted(path.glob("*.safetensors"))
        if len(candidates) != 1:
            raise ModelFileError(f"{path}: a model folder must hold exactly one .safetensors file")
        path = candidates[0]
    size = path.stat().st_size
    if size == 0:
        raise ModelFileError(f"{path}: the file is empty")
    if size > _MAX_FILE_BYTES:
        raise ModelFileError(f"{path}: {size / 1e9:.1f} GB is too large for a model file")
    with open(path, "rb") as f:
        head = f.read(9)
    # A safetensors header length can itself begin with pickle's bytes (a length of 0x0280 does),
    # so only a file that is not shaped like safetensors counts as a pickle.
    if head.startswith(_PICKLE_MAGIC) and not _shaped_like_safetensors(head, size):
        raise ModelFileError(
            f"{path}: this is a pickle-based PyTorch checkpoint (.pt/.pth); HWR Studio never unpickles "
            "files because they can run code. Use a .safetensors model file made by HWR Studio."
        )
    try:
        with safe_open(str(path), framework="pt") as f:
            raw_meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # safetensors raises its own error types for bad headers and truncation
        raise ModelFileError(f"{path}: not a valid model file ({str(e).splitlines()[0][:160]})") from None
    if _META_KEY not in raw_meta:
        raise ModelFileError(
            f"{path}: a safetensors file, but not an HWR Studio model (no '{_META_KEY}' metadata)"
        )
    try:
        meta = json.loads(raw_meta[_META_KEY])
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: the metadata is not valid JSON ({e.msg} at char {e.pos})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path}: the metadata must be a JSON object")
    return tensors, meta


def _build(
    path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any], kinds: tuple[str, ...]
) -> ModelBundle:
    if meta.get("format") not in kinds:
        raise ModelFileError(f"{path}: format {meta.get('format')!r} is not one of {', '.join(kinds)}")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: format version {version!r} is newer than this HWR Studio supports ({FORMAT_VERSION})"
        )
    try:
        codec = CTCCodec.from_dict(meta.get("charset", {}))
        model_cfg = from_dict(ModelConfig, meta.get("model"))
        pre_cfg = from_dict(PreprocessConfig, meta.get("preprocess"))
        dec_cfg = from_dict(DecodeConfig, meta.get("decode"))
    except HwrError as e:
        raise ModelFileError(f"{path}: invalid metadata: {e}") from None
    if model_cfg.num_classes != codec.num_classes:
        raise ModelFileError(
            f"{path}: the charset has {codec.num_classes} classes but the model config says {model_cfg.num_classes}"
        )
    problem = geometry_error(pre_cfg)
    if problem:
        raise ModelFileError(f"{path}: {problem}")
    try:
        model = CRNN(model_cfg)
    except HwrError as e:
        raise ModelFileError(f"{path}: {e}") from None
    state = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ModelFileError(
            f"{path}: weights do not fit variant {model_cfg.variant!r} "
            f"(missing {missing[:3]}{'...' if len(missing) > 3 else ''}, unexpected {unexpected[:3]})"
        )
    for k, v in state.items():
        if v.shape != expected[k].shape:
            raise ModelFileError(
                f"{path}: tensor {k} has shape {tuple(v.shape)}, expected {tuple(expected[k].shape)}"
            )
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise ModelFileError(f"{path}: tensor {k} contains NaN or infinite values")
    model.load_state_dict(state)
    model.eval()
    extra = {k: v for k, v in meta.items() if k not in ("charset", "model", "preprocess", "decode")}
    return ModelBundle(
        model=model, codec=codec, preprocess=pre_cfg, decode=dec_cfg, metadata=extra, path=path
    )


def load_model(path: str | os.PathLike[str]) -> ModelBundle:
    """Load and validate a model file (a checkpoint is accepted too: its model part is used)."""
    path = Path(path)
    tensors, meta = _read_file(path)
    return _build(path, tensors, meta, (FORMAT, CHECKPOINT_FORMAT))


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Only the JSON metadata (for quick listing); raises ModelFileError like load_model."""
    return _read_file(Path(path))[1]


# --------------------------------------------------------------------------- checkpoints


@dataclass
class TrainingState:
    """Everything beyond the weights that a resumed run needs, as tensors + JSON."""

    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    progress: dict[str, Any]  # epoch, batch in epoch, global step, best metric, history, ...
    rng: dict[str, Any]  # torch / numpy generator states


def _flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for pid, pstate in state["state"].items():
        for name, value in pstate.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{pid}.{name}"] = value
            else:
                scalars.setdefault(str(pid), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, pid, name = key.split(".", 2)
            state.setdefault(int(pid), {})[name] = value
    for pid, values in info.get("scalars", {}).items():
        state.setdefault(int(pid), {}).update(values)
    return {"state": state, "param_groups": info["param_groups"]}


def save_checkpoint(bundle: ModelBundle, state: TrainingState, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    opt_tensors, opt_info = _flatten_optimizer(state.optimizer)
    tensors = {f"model.{k}": v for k, v in bundle.model.state_dict().items()}
    tensors.update(opt_tensors)
    rng_json = {}
    for name, value in state.rng.items():
        if isinstance(value, torch.Tensor):
            tensors[f"rng.{name}"] = value
        else:
            rng_json[name] = value
    meta = _model_metadata(bundle, CHECKPOINT_FORMAT)
    meta["checkpoint"] = {
        "optimizer": opt_info,
        "scheduler": state.scheduler,
        "progress": state.progress,
        "rng": rng_json,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        atomic_write_bytes(path, _serialize(tensors, meta))
    return path


def load_checkpoint(path: str | os.PathLike[str]) -> tuple[ModelBundle, TrainingState]:
    path = Path(path)
    tensors, meta = _read_file(path)
    bundle = _build(path, tensors, meta, (CHECKPOINT_FORMAT,))
    ck = bundle.metadata.pop("checkpoint", None)
    if not isinstance(ck, dict):
        raise ModelFileError(f"{path}: checkpoint metadata is missing")
    rng: dict[str, Any] = dict(ck.get("rng", {}))
    rng.update({k.removeprefix("rng."): v for k, v in tensors.items() if k.startswith("rng.")})
    state = TrainingState(
        optimizer=_unflatten_optimizer(tensors, ck["optimizer"]),
        scheduler=ck.get("scheduler"),
        progress=ck.get("progress", {}),
        rng=rng,
    )
    return bundle, state


# --------------------------------------------------------------------------- ONNX


# torch.onnx.export keeps its state in module globals: two exports at once (the app's recognition
# worker preparing onnxruntime while another thread exports) fail with "GLOBALS.in_onnx_export must
# be False". One lock for the process serialises them, and with them the exporter's warnings filter
# (catch_warnings is process-wide: two threads entering and leaving it at once let warnings out).
_EXPORT_LOCK = threading.Lock()


def export_onnx(bundle: ModelBundle, path: str | os.PathLike[str], opset: int = 17) -> Path:
    """Export with dynamic batch and width; the JSON metadata goes into the ONNX metadata_props.
    Safe to call from several threads at once (exports are serialised)."""
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = bundle.model.eval()
    dummy = torch.zeros(1, 1, bundle.preprocess.height, max(64, model.min_input_width()))
    tmp = path.with_name(f".{path.name}.tmp")
    with _EXPORT_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (dummy,),
            str(tmp),
            input_names=["image"],
            output_names=["logits"],
            dynamic_axes={"image": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "time"}},
            opset_version=opset,
            dynamo=False,
        )
    proto = onnx.load(str(tmp))
    entry = proto.metadata_props.add()
    entry.key = _META_KEY
    entry.value = json.dumps(_model_metadata(bundle, FORMAT), ensure_ascii=False)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(tmp))
    os.replace(tmp, path)
    return path
