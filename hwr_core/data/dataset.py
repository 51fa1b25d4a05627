"""Torch datasets: a weighted, deterministic mixture of sources for training, a cached validation set.

Data order is a pure function of (seed, epoch), and each sample's augmentation of
(seed, epoch, index), so a resumed run sees exactly the batches it would have seen. Each batch
draws all its samples from one source: words are not padded to the width of lines.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import torch

from ..charset import CTCCodec
from ..config import AugmentConfig, PreprocessConfig
from ..errors import DatasetError, HwrError
from ..image_io import load_image
from ..preprocess import preprocess
from .augment import augment
from .records import Record
from .synth import SyntheticSource

log = logging.getLogger(__name__)


def ctc_min_length(ids: Sequence[int]) -> int:
    """Fewest timesteps CTC needs for this label: one per character plus a blank between repeats."""
    return len(ids) + sum(1 for a, b in zip(ids, ids[1:], strict=False) if a == b)


#: How much larger or smaller than the cached image a traced sample is drawn: the canvas is written
#: at any size, and `canvas_pens.py` reads VNOnDB's words traced at 0.75 to 3 times theirs.
_TRACE_SCALES = (0.75, 3.0)


class RecordSource:
    """A list of records with lazily loaded, downscaled, cached images (uint8 gray).

    With `strokes` > 0, that share of the samples (drawn per seed, epoch and index) is the image's
    ink thinned to its skeleton, traced to pen strokes and drawn again with the pen the app reads
    its canvas with (`canvas_ink.render_for_reading`): real handwriting as the canvas shows it.
    """

    def __init__(
        self,
        name: str,
        records: Sequence[Record],
        cache_height: int,
        max_pixels: int,
        strokes: float = 0.0,
        seed: int = 0,
    ) -> None:
        if not records:
            raise DatasetError(f"{name}: no usable samples")
        self.name = name
        self.records = list(records)
        self.cache_height = cache_height
        self.max_pixels = max_pixels
        self.strokes = strokes
        self.seed = seed
        self._cache: dict[int, np.ndarray | None] = {}

    def __len__(self) -> int:
        return len(self.records)

    # Loader processes (`TrainConfig.loader_workers`) get the records, not the images cached so far.
    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_cache": {}}

    def image(self, index: int) -> np.ndarray | None:
        """The record's image, or None if it cannot be read (counted by the caller)."""
        if index in self._cache:
            return self._cache[index]
        rec = self.records[index]
        try:
            img = rec.image if rec.image is not None else load_image(rec.path, max_pixels=self.max_pixels)  # type: ignore[arg-type]
        except HwrError as e:
            log.warning("skipping sample: %s", e)
            img = None
        if img is not None and img.shape[0] > self.cache_height:
            # Cache at a bounded height: preprocessing ends at a smaller height anyway.
            scale = self.cache_height / img.shape[0]
            img = cv2.resize(
                img, (max(1, round(img.shape[1] * scale)), self.cache_height), interpolation=cv2.INTER_AREA
            )
        self._cache[index] = img
        return img

    def get(self, index: int, epoch: int) -> tuple[np.ndarray | None, str]:
        image = self.image(index)
        if image is not None and self.strokes > 0:
            rng = np.random.default_rng([self.seed, epoch, index, _STROKES_STREAM])
            if rng.random() < self.strokes:
                image = as_canvas_strokes(image, float(rng.uniform(*_TRACE_SCALES)))
        return image, self.records[index].text


_STROKES_STREAM = 7  # keeps this draw apart from the augmentation's (seed, epoch, source, index)


def as_canvas_strokes(image: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """A gray image's dark ink traced to strokes (skeleton -> polylines, as `benchmarks/canvas_pens.py`
    traces VNOnDB's words) and drawn `scale` times its size with the app's reading pen; the image
    itself where it holds no ink to trace."""
    from ..canvas_ink import render_for_reading
    from ..strokes import scale_strokes, trace_ink  # imported here: strokes imports this package

    strokes = trace_ink(image)
    if not strokes:
        return image
    return render_for_reading(scale_strokes(strokes, scale))


class SynthSourceAdapter:
    """Adapts `SyntheticSource` (generated on the fly, deterministic per epoch and index)."""

    def __init__(self, name: str, source: SyntheticSource) -> None:
        self.name = name
        self.source = source

    def __len__(self) -> int:
        return len(self.source)

    def get(self, index: int, epoch: int) -> tuple[np.ndarray | None, str]:
        rec = self.source.get(index, epoch)
        return rec.image, rec.text


Source = RecordSource | SynthSourceAdapter


@dataclass(frozen=True)
class Item:
    image: np.ndarray  # float32 (H, W) preprocessed
    ids: list[int]
    text: str
    source: str


def quarter_width(width: int) -> int:
    """The timesteps of a model that quarters the width (`MixedTrainingSet`'s default)."""
    return width // 4


class MixedTrainingSet:
    """Batches drawn from weighted sources; `batches(epoch)` is the epoch's plan, resumable by slicing."""

    def __init__(
        self,
        sources: Sequence[tuple[Source, float]],
        codec: CTCCodec,
        preprocess_cfg: PreprocessConfig,
        batch_size: int,
        seed: int,
        augment_cfg: AugmentConfig | None = None,
        samples_per_epoch: int = 0,
        timesteps: Callable[[int], int] = quarter_width,
    ) -> None:
        if not sources:
            raise DatasetError("no training data sources")
        self.sources = list(sources)
        self.codec = codec
        self.preprocess_cfg = preprocess_cfg
        self.batch_size = batch_size
        self.seed = seed
        self.augment_cfg = augment_cfg
        self.samples_per_epoch = samples_per_epoch
        self.timesteps = timesteps  # the model's output length for an input width
        self.skipped: Counter[str] = Counter()

    def _batches_per_source(self) -> list[int]:
        sizes = [w * len(s) for s, w in self.sources]
        total = sum(sizes)
        if total <= 0:
            raise DatasetError("the training mixture is empty (all weights are 0?)")
        target = self.samples_per_epoch or total
        return [max(1, round(target * sz / total / self.batch_size)) if sz > 0 else 0 for sz in sizes]

    def num_batches(self) -> int:
        return sum(self._batches_per_source())

    def batches(self, epoch: int) -> list[tuple[int, list[int]]]:
        """The epoch's plan: (source index, sample indices) per batch, in training order."""
        rng = np.random.default_rng([self.seed, epoch, 0xBA7C])
        plan: list[tuple[int, list[int]]] = []
        for si, ((src, _), nb) in enumerate(zip(self.sources, self._batches_per_source(), strict=True)):
            need = nb * self.batch_size
            order = np.concatenate([rng.permutation(len(src)) for _ in range(-(-need // len(src)))])[:need]
            plan.extend(
                (si, order[b * self.batch_size : (b + 1) * self.batch_size].tolist()) for b in range(nb)
            )
        perm = rng.permutation(len(plan))
        return [plan[i] for i in perm]

    def item(self, source_index: int, index: int, epoch: int) -> Item | None:
        src = self.sources[source_index][0]
        image, text = src.get(index, epoch)
        if image is None:
            self.skipped["unreadable image"] += 1
            return None
        enc = self.codec.encode(text, strict=False)
        if enc.dropped or not enc.ids:
            self.skipped["characters outside the alphabet" if enc.dropped else "empty text"] += 1
            return None
        if self.augment_cfg is not None:
            rng = np.random.default_rng([self.seed, epoch, source_index, index])
            image = augment(image, rng, self.augment_cfg)
        pre = preprocess(image, self.preprocess_cfg)
        if pre.empty:
            self.skipped["no ink after preprocessing"] += 1
            return None
        if self.timesteps(pre.image.shape[1]) < ctc_min_length(enc.ids):
            self.skipped["label too long for the image width"] += 1
            return None
        return Item(pre.image, enc.ids, text, src.name)

    def load_batch(self, source_index: int, indices: Sequence[int], epoch: int) -> list[Item]:
        items = [self.item(source_index, i, epoch) for i in indices]
        return [it for it in items if it is not None]


def collate(
    items: Sequence[Item], height: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Items -> (images (N,1,H,Wmax), widths (N,), targets (sum L,), target lengths (N,))."""
    wmax = max(it.image.shape[1] for it in items)
    batch = np.zeros((len(items), 1, height, wmax), dtype=np.float32)
    for i, it in enumerate(items):
        batch[i, 0, :, : it.image.shape[1]] = it.image
    widths = torch.tensor([it.image.shape[1] for it in items], dtype=torch.long)
    targets = torch.tensor([c for it in items for c in it.ids], dtype=torch.long)
    lengths = torch.tensor([len(it.ids) for it in items], dtype=torch.long)
    return torch.from_numpy(batch), widths, targets, lengths


class ValidationSet:
    """Preprocessed once, no augmentation, sorted by width so batches pad little."""

    def __init__(
        self, records: Sequence[Record], codec: CTCCodec, preprocess_cfg: PreprocessConfig, name: str = "val"
    ) -> None:
        self.name = name
        self.items: list[Item] = []
        self.skipped: Counter[str] = Counter()
        for rec in records:
            try:  # full resolution, exactly as at inference
                image = (
                    rec.image
                    if rec.image is not None
                    else load_image(rec.path, max_pixels=preprocess_cfg.max_pixels)
                )  # type: ignore[arg-type]
            except HwrError as e:
                log.warning("skipping validation sample: %s", e)
                self.skipped["unreadable image"] += 1
                continue
            enc = codec.encode(rec.text, strict=False)
            if enc.dropped or not enc.ids:
                self.skipped["characters outside the alphabet" if enc.dropped else "empty text"] += 1
                continue
            pre = preprocess(image, preprocess_cfg)
            self.items.append(Item(pre.image, enc.ids, rec.text, rec.source or name))
        if not self.items:
            raise DatasetError(f"{name}: no usable validation samples")
        self.items.sort(key=lambda it: it.image.shape[1])

    def __len__(self) -> int:
        return len(self.items)

    def batches(self, batch_size: int) -> Iterator[list[Item]]:
        for i in range(0, len(self.items), batch_size):
            yield self.items[i : i + batch_size]
