"""Recompute BatchNorm running statistics over a sample of the training mixture ("precise BN").

Training draws every batch from one source (words and page lines pad badly together), so the
running mean/variance, an exponential average over the last few dozen batches, leans towards
whichever sources came last in the epoch; validation CER per source then swings from epoch to
epoch with no change in what the weights can do. Averaging the statistics evenly over many
batches of the whole mixture removes that lean. Only the BatchNorm buffers change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch
from torch import nn

from .data.dataset import MixedTrainingSet, collate
from .model import batchnorm_layers

#: An epoch number no run reaches: the batches drawn for recalibration are a fixed, fresh sample
#: of the mixture (the same every time, so two recalibrations of one model agree).
RECALIBRATION_EPOCH = 7_777


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, inputs: Iterable[torch.Tensor]) -> int:
    """Reset every BatchNorm layer's running statistics to their plain average over `inputs`.

    Dropout and everything else stay in eval mode; returns the number of batches used (0 leaves
    the model untouched).
    """
    norms = batchnorm_layers(model)
    if not norms:
        return 0
    was_training = model.training
    saved = [
        (m.momentum, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
        for m in norms
    ]
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: every batch weighs the same
        m.train()
    used = 0
    for x in inputs:
        model(x)
        used += 1
    for m, (momentum, mean, var, count) in zip(norms, saved, strict=True):
        m.momentum = momentum
        if used == 0:  # nothing seen: keep the old statistics
            m.running_mean.copy_(mean)
            m.running_var.copy_(var)
            m.num_batches_tracked.copy_(count)
    model.train(was_training)
    return used


def mixture_batches(
    train_set: MixedTrainingSet, batches: int, device: torch.device | str = "cpu"
) -> Iterator[torch.Tensor]:
    """The first `batches` input batches of a fixed draw of the training mixture (the same every time)."""
    plan = train_set.batches(RECALIBRATION_EPOCH)[:batches]
    height = train_set.preprocess_cfg.height
    return (
        collate(items, height)[0].to(device)
        for items in (train_set.load_batch(s, idx, RECALIBRATION_EPOCH) for s, idx in plan)
        if items
    )


def recalibrate_on_mixture(
    model: nn.Module, train_set: MixedTrainingSet, batches: int, device: torch.device | str = "cpu"
) -> int:
    """`recalibrate_batchnorm` over `mixture_batches`."""
    return recalibrate_batchnorm(model, mixture_batches(train_set, batches, device))
