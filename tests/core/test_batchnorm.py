"""Precise BN: running statistics become the even average over the given batches, nothing else moves."""

from __future__ import annotations

import torch
from torch import nn

from hwr_core.batchnorm import recalibrate_batchnorm


class Recorder(nn.Module):
    """Remembers whether it ran in training mode (as dropout would)."""

    def __init__(self) -> None:
        super().__init__()
        self.modes: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.modes.append(self.training)
        return x


def batches(*means: float) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [m + torch.randn(8, 1, 4, 16, generator=g) for m in means]


def test_statistics_are_the_even_average_whatever_the_order() -> None:
    results = []
    for order in ((0.0, 0.0, 10.0), (10.0, 0.0, 0.0)):
        model = nn.Sequential(nn.BatchNorm2d(1), Recorder())
        assert recalibrate_batchnorm(model, batches(*order)) == 3
        results.append(float(model[0].running_mean[0]))
        assert model[0].momentum == 0.1  # restored
        assert model[1].modes == [False, False, False]  # dropout and the like stayed in eval mode
        assert model.training  # the caller's mode is restored
    assert abs(results[0] - 10 / 3) < 0.1 and abs(results[0] - results[1]) < 1e-4

    # The default exponential average, by contrast, leans to the last batches: the bias removed.
    ema = nn.BatchNorm2d(1)
    for x in batches(0.0, 0.0, 10.0):
        ema(x)
    assert float(ema.running_mean[0]) < 1.5


def test_weights_untouched_and_no_batches_keeps_statistics() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    model[1].running_mean.fill_(0.5)
    weights = model[0].weight.clone()
    assert recalibrate_batchnorm(model, []) == 0
    assert torch.equal(model[1].running_mean, torch.full((2,), 0.5))
    recalibrate_batchnorm(model, batches(3.0))
    assert torch.equal(model[0].weight, weights)
    assert not torch.equal(model[1].running_mean, torch.full((2,), 0.5))
