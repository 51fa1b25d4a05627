"""From data specs and options to everything a `Trainer` needs: model bundle, mixture, validation set.

Shared by `hwr train` and the GUI's training tab so both make the same choices:
- a tsv source without an explicit split trains on its `train` rows, and (unless validation is
  given) validates on its `val` rows, so val never leaks into training;
- rows with characters outside the charset are skipped and counted, or, with `extend_charset`
  (fine-tuning), the charset grows to include them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..charset import CTCCodec
from ..config import PreprocessConfig, TrainConfig, geometry_error
from ..errors import DatasetError, HwrError
from ..modelfile import ModelBundle, load_checkpoint, load_model, new_bundle
from .dataset import MixedTrainingSet, RecordSource, SynthSourceAdapter, ValidationSet
from .records import ReadReport, Record
from .spec import DataSpec, load_records, parse_spec
from .synth import SyntheticSource

log = logging.getLogger(__name__)


@dataclass
class TrainingSetup:
    bundle: ModelBundle
    train_set: MixedTrainingSet
    val_set: ValidationSet | None
    train_specs: list[DataSpec]
    val_specs: list[DataSpec]
    reports: list[ReadReport] = field(default_factory=list)

    def report_lines(self) -> list[str]:
        lines = [r.summary() for r in self.reports]
        lines.append(
            f"training: {self.train_set.num_batches()} batches per epoch from {len(self.train_specs)} source(s)"
        )
        if self.val_set is not None:
            lines.append(f"validation: {len(self.val_set)} samples")
        return lines

    def data_summary(self) -> dict[str, Any]:
        return {
            "train": [str(s) for s in self.train_specs],
            "val": [str(s) for s in self.val_specs],
            "reports": [
                {"source": r.source, "rows": r.rows, "usable": r.usable, "skipped": dict(r.skipped)}
                for r in self.reports
            ],
        }


def _with_default_split(spec: DataSpec, split: str) -> DataSpec:
    """A tsv or synth source without a split gets the role's: a synth source's split picks its fonts
    (train: all but the held-out families; val: those), so no font validated on is trained on."""
    if spec.split is not None or spec.kind not in ("tsv", "synth"):
        return spec
    return dataclasses.replace(spec, split=split)


def _load_tsv_train(spec: DataSpec, codec: CTCCodec | None) -> tuple[DataSpec, list[Record], ReadReport]:
    """A tsv without a split trains on split=train when it has one, else on all rows."""
    trial = _with_default_split(spec, "train")
    if trial is spec:
        return (spec, *load_records(spec, codec))
    try:
        return (trial, *load_records(trial, codec))
    except DatasetError as e:
        if "not found" not in str(e):
            raise
        return (spec, *load_records(spec, codec))


def _initial_bundle(
    init: str | None,
    variant: str,
    height: int,
    width_scale: float | None,
    resume_dir: Path | None,
    seed: int,
) -> ModelBundle:
    given = PreprocessConfig(height=height, width_scale=1.0 if width_scale is None else width_scale)
    problem = geometry_error(given)
    if problem:  # refused before any data is read, --resume or not
        raise HwrError(problem)
    checkpoint = resume_dir / "last.ckpt.safetensors" if resume_dir else None
    if checkpoint is not None and checkpoint.exists():
        return load_checkpoint(checkpoint)[0]  # same charset/architecture as the run being resumed
    if init:
        bundle = load_model(init)
        if width_scale is not None:  # fine-tune to another input geometry (convolutions adapt)
            bundle.preprocess = dataclasses.replace(bundle.preprocess, width_scale=width_scale)
        previous = bundle.metadata
        bundle.metadata = {"name": bundle.name, "init_from": str(init)}
        if "training" in previous:  # lineage: how the starting weights were trained (model card)
            lineage = dict(previous["training"])
            if "init_training" in previous:  # theirs in turn, for a model fine-tuned more than once
                lineage["init_training"] = previous["init_training"]
            if "averaged_from" in previous:  # the start was the mean of several epochs' weights
                lineage["averaged_from"] = previous["averaged_from"]
            bundle.metadata["init_training"] = lineage
        return bundle
    return new_bundle(variant, CTCCodec(), given, seed=seed)


def _subsample(records: list[Record], limit: int) -> list[Record]:
    if limit <= 0 or len(records) <= limit:
        return records
    step = len(records) / limit
    return [records[int(i * step)] for i in range(limit)]


def build_training(
    data: Sequence[str | DataSpec],
    val: Sequence[str | DataSpec] | None,
    cfg: TrainConfig,
    init: str | None = None,
    variant: str = "small",
    height: int = 32,
    width_scale: float | None = None,
    extend_charset: bool = False,
    resume_dir: Path | None = None,
    extra_records: Sequence[Record] = (),
) -> TrainingSetup:
    """Build the setup. `val=None`: the val split of each tsv source; `val=[]`: no validation."""
    bundle = _initial_bundle(init, variant, height, width_scale, resume_dir, cfg.seed)
    specs = [s if isinstance(s, DataSpec) else parse_spec(s) for s in data]
    if not specs and not extra_records:
        raise DatasetError("no training data given")
    filter_codec = None if extend_charset else bundle.codec
    loaded: list[tuple[DataSpec, list[Record] | None]] = []
    reports: list[ReadReport] = []
    for spec in specs:
        if spec.kind == "synth":
            loaded.append((_with_default_split(spec, "train"), None))
            continue
        used, records, report = _load_tsv_train(spec, filter_codec)
        loaded.append((used, records))
        reports.append(report)
    if extra_records:
        loaded.append((DataSpec("tsv", Path("user-samples"), None, 1.0, {}), list(extra_records)))

    if extend_charset:
        texts = "".join(r.text for _, recs in loaded if recs for r in recs)
        codec = bundle.codec.extend(texts)
        if codec != bundle.codec:
            added = codec.alphabet[len(bundle.codec.alphabet) :]
            log.info("charset extended with %d new characters: %r", len(added), added)
            bundle.model.resize_classes(codec.num_classes)
            bundle.codec = codec

    sources: list[tuple[RecordSource | SynthSourceAdapter, float]] = []
    cache_height = max(64, 2 * bundle.preprocess.height)
    for spec, recs in loaded:
        if recs is None:
            synth = SyntheticSource(spec, seed=cfg.seed, codec=bundle.codec)
            sources.append((SynthSourceAdapter(spec.name, synth), spec.weight))
        else:
            strokes = spec.option_share("strokes", 0.0) if spec.kind == "tsv" else 0.0
            source = RecordSource(
                spec.name, recs, cache_height, bundle.preprocess.max_pixels, strokes=strokes, seed=cfg.seed
            )
            sources.append((source, spec.weight))

    train_set = MixedTrainingSet(
        sources,
        bundle.codec,
        bundle.preprocess,
        batch_size=cfg.batch_size,
        seed=cfg.seed,
        augment_cfg=cfg.augment if cfg.augment_enabled else None,
        samples_per_epoch=cfg.samples_per_epoch,
        timesteps=bundle.model.timesteps(),
    )

    if val is None:
        val_specs = [
            dataclasses.replace(s, split="val", weight=1.0)
            for s, _ in loaded
            if s.kind == "tsv" and s.split == "train"
        ]
    else:
        val_specs = [s if isinstance(s, DataSpec) else _with_default_split(parse_spec(s), "val") for s in val]
    val_set = None
    if val_specs:
        per_source = cfg.val_max_samples // len(val_specs) if cfg.val_max_samples else 0
        val_records: list[Record] = []
        for spec in val_specs:
            if spec.kind == "synth":
                val_records += SyntheticSource(spec, seed=cfg.seed + 1, codec=bundle.codec).first(per_source)
                continue
            try:
                recs, report = load_records(spec, bundle.codec)
            except DatasetError as e:
                if val is None and "not found" in str(e):
                    continue  # the tsv has no val split: nothing to validate on from it
                raise
            reports.append(report)
            val_records.extend(dataclasses.replace(r, source=spec.name) for r in _subsample(recs, per_source))
        if val_records:
            val_set = ValidationSet(val_records, bundle.codec, bundle.preprocess)
    return TrainingSetup(bundle, train_set, val_set, [s for s, _ in loaded], val_specs, reports)
