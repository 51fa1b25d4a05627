"""CRNN: a convolutional backbone, a BiLSTM sequence model and a linear head, trained with CTC.

Variants are named entries of `VARIANTS` (a spec per name, no string matching on class names):
- `paper`: the layer table of Shi, Bai & Yao 2015 (conv 64-128-256-256-512-512-512 with the
  1x2 pools, two BiLSTM of 256). About 8.7 M parameters; meant for a GPU.
- `small`: a narrower backbone and one-layer-narrower BiLSTM, fast on a 2-core CPU.
- `tiny`: for tests and smoke runs.

All variants reduce the width by 4, so a W-pixel-wide input gives about W/4 timesteps, and collapse
any remaining height by averaging, so the input height is a preprocessing choice (32 by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
from torch import nn

from .config import ModelConfig
from .errors import HwrError

# One conv layer: (out_channels, kernel, padding, batch_norm, pool) with pool as (ph, pw) or None.
ConvSpec = tuple[int, int, int, bool, tuple[int, int] | None]
Width = TypeVar("Width", int, torch.Tensor)


@dataclass(frozen=True)
class VariantSpec:
    convs: tuple[ConvSpec, ...]
    lstm_hidden: int
    lstm_layers: int
    description: str


VARIANTS: dict[str, VariantSpec] = {
    "paper": VariantSpec(
        convs=(
            (64, 3, 1, False, (2, 2)),
            (128, 3, 1, False, (2, 2)),
            (256, 3, 1, True, None),
            (256, 3, 1, False, (2, 1)),
            (512, 3, 1, True, None),
            (512, 3, 1, True, (2, 1)),
            (512, 2, 0, True, None),
        ),
        lstm_hidden=256,
        lstm_layers=2,
        description="Shi et al. 2015 layer table; GPU-sized",
    ),
    "small": VariantSpec(
        convs=(
            (32, 3, 1, True, (2, 2)),
            (64, 3, 1, True, (2, 2)),
            (96, 3, 1, True, None),
            (96, 3, 1, True, (2, 1)),
            (160, 3, 1, True, None),
            (160, 3, 1, True, (2, 1)),
        ),
        lstm_hidden=160,
        lstm_layers=2,
        description="fast CPU variant",
    ),
    "tiny": VariantSpec(
        convs=(
            (8, 3, 1, True, (2, 2)),
            (16, 3, 1, True, (2, 2)),
            (32, 3, 1, True, (2, 1)),
        ),
        lstm_hidden=32,
        lstm_layers=1,
        description="for tests and smoke runs",
    ),
}


def variant_spec(name: str) -> VariantSpec:
    try:
        return VARIANTS[name]
    except KeyError:
        raise HwrError(f"unknown model variant {name!r} (known: {', '.join(sorted(VARIANTS))})") from None


@dataclass(frozen=True)
class Timesteps:
    """The conv/pool stack's integer arithmetic along the width, without the layers: `CRNN`'s
    output lengths come from it, and training data loaded in other processes gets it (picklable)
    to drop labels too long for their image."""

    steps: tuple[tuple[int, int, int], ...]  # (kernel, padding, pool width) per conv

    def width(self, widths: Width) -> Width:
        """Output width of input widths (an int or a tensor), floored as the layers floor it; below 1
        where the input is too narrow for a timestep."""
        for kernel, padding, pool in self.steps:
            widths = (widths + 2 * padding - kernel + 1) // pool
        return widths

    def __call__(self, width: int) -> int:
        return max(1, self.width(width))


class ConvBackbone(nn.Module):
    """(N, 1, H, W) -> (N, W', F): conv stack, then the height collapsed by averaging."""

    def __init__(self, convs: Sequence[ConvSpec]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_ch = 1
        for out_ch, kernel, padding, bn, pool in convs:
            layers.append(nn.Conv2d(in_ch, out_ch, kernel, padding=padding, bias=not bn))
            if bn:
                layers.append(nn.BatchNorm2d(out_ch))
            layers.append(nn.ReLU(inplace=True))
            if pool is not None:
                layers.append(nn.MaxPool2d(pool, pool))
            in_ch = out_ch
        self.layers = nn.Sequential(*layers)
        self.out_features = in_ch
        self.width_steps = Timesteps(
            tuple((kernel, padding, pool[1] if pool else 1) for _, kernel, padding, _, pool in convs)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.layers(x)  # (N, F, H', W')
        return f.mean(dim=2).permute(0, 2, 1)  # (N, W', F)

    def output_width(self, widths: torch.Tensor) -> torch.Tensor:
        return self.width_steps.width(widths)


class BiLSTMSequence(nn.Module):
    """(N, T, F) -> (N, T, 2 * hidden)."""

    def __init__(self, in_features: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.rnn = nn.LSTM(
            in_features,
            hidden,
            num_layers=layers,
            bidirectional=True,
            batch_first=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.out_features = 2 * hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return out


class CTCHead(nn.Module):
    """(N, T, F) -> (N, T, C) logits."""

    def __init__(self, in_features: int, num_classes: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(x))


def batchnorm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """Every BatchNorm layer of `model`, in module order."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


class CRNN(nn.Module):
    """Input (N, 1, H, W) float, ink 1 on 0; output logits (N, T, C) with T = output_lengths(W)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.num_classes < 2:
            raise HwrError(f"a model needs at least 2 classes (blank + 1), got {cfg.num_classes}")
        spec = variant_spec(cfg.variant)
        self.config = cfg
        self.backbone = ConvBackbone(spec.convs)
        self.sequence = BiLSTMSequence(
            self.backbone.out_features, spec.lstm_hidden, spec.lstm_layers, cfg.dropout
        )
        self.head = CTCHead(self.sequence.out_features, cfg.num_classes, cfg.dropout)
        self._batchnorm_frozen = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.sequence(self.backbone(x)))

    def output_lengths(self, widths: torch.Tensor) -> torch.Tensor:
        """Number of valid timesteps for inputs of the given (unpadded) pixel widths."""
        return self.backbone.output_width(widths).clamp(min=1)

    def timesteps(self) -> Timesteps:
        """`output_lengths` for one width, as a picklable callable without the weights."""
        return self.backbone.width_steps

    def min_input_width(self) -> int:
        """Smallest width that yields at least one timestep."""
        w = 1
        while int(self.backbone.output_width(torch.tensor([w]))[0]) < 1:
            w += 1
        return w

    def freeze_backbone(self, frozen: bool = True) -> None:
        """Fine-tuning phase 1 trains only sequence + head; BN statistics stay fixed while frozen."""
        for p in self.backbone.parameters():
            p.requires_grad = not frozen
        self.backbone.train(not frozen and self.training)

    def freeze_batchnorm(self, frozen: bool = True) -> None:
        """Train with BatchNorm's running statistics instead of each batch's own, so the function
        trained is the one that reads at inference. Training batches come from one source each, so
        batch statistics are that source's, while inference has one set of statistics for all: the
        default model read each val set better with its own set's statistics (Kaggle names 10.8 ->
        8.1 % CER, Cinnamon 3.5 -> 3.0 %, training/README.md, session 40)."""
        self._batchnorm_frozen = frozen
        self.train(self.training)

    def train(self, mode: bool = True) -> CRNN:
        super().train(mode)
        if mode and not any(p.requires_grad for p in self.backbone.parameters()):
            self.backbone.eval()  # keep BN frozen with the weights
        elif mode and self._batchnorm_frozen:
            for m in batchnorm_layers(self):
                m.eval()
        return self

    def resize_classes(self, num_classes: int) -> None:
        """Grow the output layer for an extended codec; existing class rows keep their trained weights."""
        old = self.head.fc
        if num_classes == old.out_features:
            return
        if num_classes < old.out_features:
            raise HwrError("the output layer can only grow (codec.extend appends characters)")
        new = nn.Linear(old.in_features, num_classes)
        with torch.no_grad():
            new.weight.normal_(0.0, 0.01)
            new.bias.zero_()
            new.weight[: old.out_features] = old.weight
            new.bias[: old.out_features] = old.bias
            # New characters start unlikely so the extended model reads like the old one until trained.
            new.bias[old.out_features :] = old.bias[1:].min() - 1.0
        self.head.fc = new
        self.config = ModelConfig(
            variant=self.config.variant, num_classes=num_classes, dropout=self.config.dropout
        )


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
