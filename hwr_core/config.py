"""Frozen dataclass configs shared by training, inference, the CLI and the GUI.

Each config round-trips through `to_dict` / `from_dict` so it can live in a model file's JSON
metadata; `from_dict` ignores unknown keys (files from newer versions) and rejects wrong types.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from .errors import HwrError

BinarizeMethod = Literal["none", "otsu", "adaptive"]
DecoderKind = Literal["greedy", "beam"]

T = TypeVar("T")


MIN_WIDTH_SCALE, MAX_WIDTH_SCALE = 0.25, 4.0  # PreprocessConfig.width_scale: what a model file may say


@dataclass(frozen=True)
class PreprocessConfig:
    """How an image becomes the model's input: a float32 (height x W) array, ink 1.0 on 0.0."""

    height: int = 32
    # Horizontal stretch after scaling to `height`: more timesteps per character. CTC needs at least
    # one frame per character (two between repeats) and reads poorly below ~2.5; at 1.0, VNOnDB's
    # lines give a median of 1.9 frames per character (the model reduces the width by 4).
    width_scale: float = 1.0
    denoise: bool = True
    binarize: BinarizeMethod = "otsu"
    smooth: bool = True
    crop: bool = True
    deskew: bool = True
    slant: bool = True
    # An image of several lines read as one: read only its written line when the others are print
    # or a neighbour's line cut off by the image's edge, and a line without the printed label that
    # starts it ("NOM :"; hwr_core.line_choice).
    written_line: bool = True
    # Keep a nib's or a fine pen's hairline strokes, fainter than the threshold, where they join
    # the ink (binarize="otsu" only; hwr_core.preprocess._hairlines; docs/reading.md "Hairlines"). Model
    # files saved before the option existed load with it on.
    hairlines: bool = True
    pad: int = 4  # columns of background added left and right, at target height
    min_width: int = 16
    max_width: int = 2400  # wider inputs are scaled down (keeps memory bounded for absurd aspect ratios)
    max_pixels: int = 80_000_000  # decompression-bomb guard when loading files


def geometry_error(cfg: PreprocessConfig) -> str | None:
    """What is wrong with `cfg`'s input geometry for a model (None: nothing): one check for the
    training flags and for model files, which each report it in their own words."""
    if not 8 <= cfg.height <= 256:
        return f"input height {cfg.height} is out of range (8-256)"
    if not MIN_WIDTH_SCALE <= cfg.width_scale <= MAX_WIDTH_SCALE:
        return f"width scale {cfg.width_scale:g} is out of range ({MIN_WIDTH_SCALE:g}-{MAX_WIDTH_SCALE:g})"
    return None


@dataclass(frozen=True)
class ModelConfig:
    """A CRNN variant by name plus the number of output classes (blank included)."""

    variant: str = "small"
    num_classes: int = 0
    dropout: float = 0.2


BUILTIN_LEXICON = "builtin"  # DecodeConfig.lexicon: the English + Vietnamese list in hwr_core.lexicons
NO_LEXICON = "none"
DEFAULT_LEXICON_WEIGHT = 1.5  # beam bonus per listed word where a word list comes without a weight
BUILTIN_LM = "builtin"  # DecodeConfig.lm: the character model shipped beside the default model
NO_LM = "none"
# What a reading may be told of its language (DecodeConfig.language), named as the app shows it.
# "en": no Vietnamese letter is read (each passes its probability to its bare letter, "ị" -> "i")
# and beam search prefers only the English part of the built-in word list; "vi": only its
# Vietnamese part; "": both, as the shipped model reads by default.
LANGUAGES = {"": "English + Vietnamese", "en": "English", "vi": "Vietnamese"}
CLI_LANGUAGES = {"en": "en", "vi": "vi", "en+vi": ""}  # `hwr --lang` -> DecodeConfig.language
# Fusion settings where a character model comes without its own. Chosen on the even half of each val
# set with the shipped network (session 32; session 7's 0.8 per character and word bonus 2 were
# chosen with default-v1): a larger per-character bonus keeps letters the character model doubts.
DEFAULT_LM_WEIGHT = 0.4
DEFAULT_LM_CHAR_BONUS = 1.6

# Inference engines (`Recognizer`): "onnx-int8" is onnxruntime with 8-bit weights (hwr_core/quantization.py);
# "auto" is that where onnxruntime is installed, else torch.
BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
# Training batches the 8-bit convolutions' activation ranges are measured on when a model is
# trained, averaged or shipped (~14 s for the default model with a training run on both cores).
INT8_CALIBRATION_BATCHES = 16


@dataclass(frozen=True)
class DecodeConfig:
    decoder: DecoderKind = "greedy"
    beam_width: int = 8
    n_best: int = 5
    lexicon_weight: float = 0.0  # > 0 with a word list: rescoring bonus for in-lexicon words
    # The word list beam search uses unless the caller passes one: "" / "none", or "builtin" (the
    # English + Vietnamese list of hwr_core.lexicons). A model file's config names its own.
    lexicon: str = ""
    # The character language model beam search fuses: "" / "none", "builtin" or a .charlm file;
    # each added character scores lm_weight * log P(char | text so far) + lm_char_bonus.
    lm: str = ""
    lm_weight: float = 0.0
    lm_char_bonus: float = 0.0
    # Only these characters may be read ("": any); the others pass their probability to the
    # nearest allowed one (other case, then without tone mark, then bare letter): allowed_chars.py.
    allowed: str = ""
    language: str = ""  # a key of LANGUAGES: "" both, "en" or "vi"

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            known = ", ".join(repr(k) for k in LANGUAGES)
            raise HwrError(f"unknown reading language {self.language!r} (known: {known})")

    @property
    def uses_lexicon(self) -> bool:
        """Whether decoding consults the named word list at all."""
        return self.decoder == "beam" and self.lexicon not in ("", NO_LEXICON) and self.lexicon_weight > 0

    @property
    def uses_lm(self) -> bool:
        """Whether decoding consults the named character model at all."""
        return self.decoder == "beam" and self.lm not in ("", NO_LM) and self.lm_weight > 0

    def with_word_list(self, name: str) -> DecodeConfig:
        """This config naming word list `name`, with the default bonus if it had none."""
        weight = self.lexicon_weight if self.lexicon_weight > 0 else DEFAULT_LEXICON_WEIGHT
        return dataclasses.replace(self, lexicon=name, lexicon_weight=weight)

    def with_char_model(self, name: str) -> DecodeConfig:
        """This config naming character model `name`, with the default fusion settings if it had none."""
        if self.lm_weight > 0:
            return dataclasses.replace(self, lm=name)
        return dataclasses.replace(
            self, lm=name, lm_weight=DEFAULT_LM_WEIGHT, lm_char_bonus=DEFAULT_LM_CHAR_BONUS
        )

    def describe(self) -> str:
        """One line for logs and reports, e.g. "beam 8 + word list builtin (bonus 2)"."""
        only = f", only {self.allowed!r}" if self.allowed else ""
        if self.language:
            only += f", {LANGUAGES[self.language]} only"
        if self.decoder != "beam":
            return self.decoder + only
        out = f"beam {self.beam_width}"
        if self.uses_lexicon:
            out += f" + word list {self.lexicon} (bonus {self.lexicon_weight:g})"
        if self.uses_lm:
            out += f" + character model {self.lm} (weight {self.lm_weight:g}, bonus {self.lm_char_bonus:g})"
        return out + only


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and strengths of the training-time distortions (0 disables one)."""

    p_affine: float = 0.5
    p_elastic: float = 0.3
    p_stroke_width: float = 0.4
    p_blur: float = 0.3
    p_noise: float = 0.3
    p_paper: float = 0.25
    p_contrast: float = 0.4
    p_jpeg: float = 0.25
    max_rotate_deg: float = 3.0
    max_shear: float = 0.35


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    schedule: Literal["onecycle", "plateau", "constant"] = "onecycle"
    early_stopping_patience: int = 5  # epochs without val CER improvement; 0 disables
    freeze_backbone_epochs: int = 0  # fine-tuning: train sequence + head first
    seed: int = 1234
    device: str = "auto"  # "auto" | "cpu" | "cuda" | "cuda:1" ...
    amp: bool = False  # bfloat16 autocast where it is fast (CUDA, CPUs with native bf16); else ignored
    compile: bool = False  # torch.compile (CUDA only)
    grad_clip: float = 5.0
    max_nan_batches: int = 20  # consecutive non-finite losses before the run stops
    checkpoint_every_batches: int = 0  # 0: only at epoch end (and on stop)
    samples_per_epoch: int = 0  # 0: one pass over the weighted mixture's natural size
    val_max_samples: int = 0  # 0: all
    # Before each validation, recompute BatchNorm statistics over this many training batches
    # (hwr_core/batchnorm.py: per-source batches otherwise skew them and val CER swings); 0: off.
    bn_recalibrate_batches: int = 0
    # Fine-tuning: normalise with BatchNorm's running statistics, never a batch's (CRNN.freeze_batchnorm).
    freeze_batchnorm: bool = False
    # Also save each epoch's weights (epochs/epoch-NNN.safetensors), for checkpoint averaging.
    keep_epoch_weights: bool = False
    # The final model's 8-bit convolution ranges are measured over this many training batches; 0: off.
    int8_calibration_batches: int = INT8_CALIBRATION_BATCHES
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    augment_enabled: bool = True
    # Load the next batch on a worker thread while this one trains (`training._BatchLoader`);
    # the batches are the same either way (each sample is a function of seed, epoch and index).
    prefetch: bool = True
    # Or load batches in this many processes, each with its own copy of the sources, up to twice as
    # many batches ahead: for a GPU that one loading thread leaves idle. Same batches; 0: off.
    loader_workers: int = 0


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain JSON-able dict of a (possibly nested) config dataclass."""
    return dataclasses.asdict(cfg)


def from_dict(cls: type[T], data: dict[str, Any] | None) -> T:
    """Build `cls` from a dict, keeping defaults for missing keys and ignoring unknown ones."""
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise HwrError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        value = data[f.name]
        default = getattr(cls(), f.name)
        if dataclasses.is_dataclass(default):
            value = from_dict(type(default), value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise HwrError(f"{cls.__name__}.{f.name}: expected true/false, got {value!r}")
        elif isinstance(default, int | float) and not isinstance(value, int | float):
            raise HwrError(f"{cls.__name__}.{f.name}: expected a number, got {value!r}")
        elif isinstance(default, str) and not isinstance(value, str):
            raise HwrError(f"{cls.__name__}.{f.name}: expected a string, got {value!r}")
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        kwargs[f.name] = value
    return cls(**kwargs)
