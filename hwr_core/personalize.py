"""Personalisation: fine-tune a model on the user's own samples, mixed with a replay of general data.

The user's training samples come in as extra records; each epoch shows each of them a few times
(augmented differently each time) and, with replay, as many samples again from the replay sources
(synthetic handwriting from fonts, or base datasets), so the model adapts without forgetting
general handwriting. The first epochs train only the sequence and head layers (frozen backbone).
The user's held-out split validates each epoch and gives the before/after CER.

Core only: `make_plan` gives the arguments of `build_training` (the GUI turns them into a
`TrainingRequest` for its training worker); `fit` runs a plan here, e.g. for the CLI and tests;
`finish` scores the base and the personalised model and saves the new model file.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import DecodeConfig, TrainConfig
from .data.builder import TrainingSetup, build_training
from .data.records import Record
from .data.spec import DataSpec, load_records, parse_spec
from .errors import DatasetError, HwrError
from .image_io import load_image
from .metrics import PairedChange, cer, paired_bootstrap
from .modelfile import ModelBundle, load_model, save_model
from .recognizer import Recognizer
from .training import Event, Trainer, TrainingFinished
from .userdata import UserSampleStore

log = logging.getLogger(__name__)

__all__ = [
    "MIN_SAMPLES",
    "PersonalizeConfig",
    "PersonalizePlan",
    "PersonalizeResult",
    "build_personalize_setup",
    "evaluate_on",
    "read_on",
    "final_weights",
    "finish",
    "fit",
    "make_plan",
    "synth_replay_spec",
]

#: Fewest samples worth a run: a few to learn from and at least one held out to score on.
MIN_SAMPLES = 5


@dataclass(frozen=True)
class PersonalizeConfig:
    epochs: int = 6
    freeze_backbone_epochs: int = 2
    lr: float = 5e-4
    batch_size: int = 16
    replay_specs: tuple[str, ...] = ()  # data specs (see data.spec); e.g. synth_replay_spec(fonts_dir)
    replay_weight: float = 1.0  # replay samples per user sample in an epoch: 1.0 -> half the epoch is replay
    user_repeats: int = 4  # each user training sample appears about this often per epoch (augmented)
    augment: bool = True
    # Normalise with the base model's BatchNorm statistics instead of the user's batches'
    # (CRNN.freeze_batchnorm). Off: it did worse on the writer's unseen lines and on other writers'
    # (benchmarks/teach_from_scans.py --freeze-batchnorm, docs/reading.md "Teaching from scans").
    freeze_batchnorm: bool = False
    seed: int = 1234
    device: str = "auto"

    def train_config(self, samples_per_epoch: int) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            schedule="onecycle",
            early_stopping_patience=0,  # a handful of epochs: early stopping would only cut them short
            freeze_backbone_epochs=min(self.freeze_backbone_epochs, self.epochs),
            seed=self.seed,
            device=self.device,
            samples_per_epoch=samples_per_epoch,
            augment_enabled=self.augment,
            freeze_batchnorm=self.freeze_batchnorm,
        )


def synth_replay_spec(
    fonts_dir: str | os.PathLike[str],
    n: int = 4000,
    lang: str = "en,vi",
    kind: str = "mixed",
    heldout: str = "all",
) -> str:
    """A replay source of synthetic handwriting from a fonts folder.

    `heldout="train"` keeps to the families `split_fonts` does not hold out, e.g. so that a test's
    synthetic user (a held-out family) never appears in the replay.
    """
    return f"synth:{Path(fonts_dir)}?n={n}&lang={lang}&kind={kind}&heldout={heldout}"


@dataclass(frozen=True)
class PersonalizePlan:
    """The arguments of `build_training` for one personalisation run, plus what scoring needs."""

    data: list[str]  # replay specs with their mixing weights
    val: list[str]  # the user's held-out split
    cfg: TrainConfig
    init: str  # the base model file
    out_dir: str  # checkpoints of this run
    extra_records: tuple[Record, ...]  # the user's training samples
    val_records: tuple[Record, ...]  # the user's held-out samples (the before/after score)
    extend_charset: bool = True  # a user may write characters the base model lacks
    summary: dict[str, object] = field(default_factory=dict)

    def build(self) -> TrainingSetup:
        return build_training(
            self.data,
            self.val,
            self.cfg,
            init=self.init,
            extend_charset=self.extend_charset,
            extra_records=self.extra_records,
        )


def _source_size(spec: DataSpec) -> int:
    if spec.kind == "synth":
        return spec.option_int("n", 10000, minimum=1)
    trial = spec if spec.split is not None or spec.kind != "tsv" else dataclasses.replace(spec, split="train")
    try:
        records, _ = load_records(trial)
    except DatasetError:
        if trial is spec:
            raise
        records, _ = load_records(spec)
    return len(records)


def make_plan(
    base_model_path: str | os.PathLike[str],
    store: UserSampleStore,
    cfg: PersonalizeConfig,
    out_dir: str | os.PathLike[str],
) -> PersonalizePlan:
    """Plan a run; HwrError when there are too few samples or a replay spec is wrong.

    Replay weights are set so that the replay sources together give `replay_weight` samples per
    user sample in each epoch, whatever their sizes. Counting a tsv replay source reads its labels.
    """
    if not Path(base_model_path).is_file():
        raise HwrError(f"no such model file: {base_model_path}")
    train = store.records("train")
    val = store.records("val")
    if len(store) < MIN_SAMPLES or not train or not val:
        raise HwrError(
            f"personalising needs at least {MIN_SAMPLES} samples ({len(store)} collected so far); "
            "write a few more prompts"
        )
    if cfg.epochs < 1 or cfg.batch_size < 1 or cfg.user_repeats < 1 or not cfg.lr > 0:
        raise HwrError("epochs, batch size and repeats must be at least 1 and the learning rate positive")
    user_per_epoch = len(train) * cfg.user_repeats
    specs = [parse_spec(s) for s in cfg.replay_specs]
    data: list[str] = []
    if specs and cfg.replay_weight > 0:
        share = cfg.replay_weight * len(train) / len(specs)  # weighted size each replay source should have
        for spec in specs:
            size = _source_size(spec)
            if size < 1:
                raise DatasetError(f"replay source '{spec}' has no samples")
            data.append(str(dataclasses.replace(spec, weight=share / size)))
        samples_per_epoch = round(user_per_epoch * (1.0 + cfg.replay_weight))
    else:
        samples_per_epoch = user_per_epoch
    samples_per_epoch = max(samples_per_epoch, cfg.batch_size)
    # A snapshot of the held-out split: samples added while the run is being set up do not shift it.
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    val_tsv = out / "user-val.tsv"
    rows = "".join(f"{Path(r.path).resolve()}\t{r.text}\tval\n" for r in val if r.path is not None)
    val_tsv.write_text(rows, encoding="utf-8")
    val_spec = str(DataSpec("tsv", val_tsv, "val", 1.0, {"name": "user-val"}))
    return PersonalizePlan(
        data=data,
        val=[val_spec],
        cfg=cfg.train_config(samples_per_epoch),
        init=str(base_model_path),
        out_dir=str(out_dir),
        extra_records=tuple(train),
        val_records=tuple(val),
        summary={"user_train": len(train), "user_val": len(val), "replay": list(cfg.replay_specs)},
    )


def build_personalize_setup(
    base_model_path: str | os.PathLike[str],
    store: UserSampleStore,
    cfg: PersonalizeConfig,
    out_dir: str | os.PathLike[str],
) -> TrainingSetup:
    return make_plan(base_model_path, store, cfg, out_dir).build()


def fit(plan: PersonalizePlan, should_stop: Callable[[], bool] = lambda: False) -> Iterator[Event]:
    """Run the plan's training here (the GUI runs it in its training worker instead); yields Trainer events.

    The last event is a `TrainingFinished`; `final_weights(it)` is the model to pass to `finish`.
    """
    setup = plan.build()
    trainer = Trainer(
        setup.bundle,
        setup.train_set,
        setup.val_set,
        plan.cfg,
        plan.out_dir,
        run_info={"command": "personalise", "data": setup.data_summary(), **plan.summary},
    )
    yield from trainer.fit(should_stop)


def final_weights(finished: TrainingFinished) -> Path:
    """The weights of the run's last epoch, the model a personalisation delivers.

    Not the trainer's best-validation file: validation here is the user's held-out samples, and
    choosing the epoch by them would make the "after" score on the same samples look better than it is.
    """
    for path in (finished.checkpoint_path, finished.model_path):
        if path is not None and Path(path).exists():
            return Path(path)
    raise HwrError("the personalisation run left no model file")


# ------------------------------------------------------------------------------ scoring


def _images(records: Sequence[Record]) -> list[np.ndarray]:
    out = []
    for r in records:
        if r.image is not None:
            out.append(r.image)
        elif r.path is not None:
            out.append(load_image(r.path))
        else:
            raise HwrError(f"record {r.text!r} has neither an image nor a path")
    return out


def evaluate_on(model: Recognizer | ModelBundle, records: Sequence[Record], batch_size: int = 32) -> float:
    """CER of greedy decoding on the records (the same decoding as training's validation)."""
    return cer([r.text for r in records], read_on(model, records, batch_size))


def read_on(model: Recognizer | ModelBundle, records: Sequence[Record], batch_size: int = 32) -> list[str]:
    """Greedy readings of the records, in their order."""
    if not records:
        raise HwrError("no samples to score on")
    greedy = DecodeConfig(decoder="greedy")
    rec = (
        model.with_options(decode_cfg=greedy)
        if isinstance(model, Recognizer)
        else Recognizer(model, decode_cfg=greedy)
    )
    images = _images(records)
    order = sorted(range(len(records)), key=lambda i: images[i].shape[1] / max(1, images[i].shape[0]))
    hyps: dict[int, str] = {}
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        for i, result in zip(chunk, rec.recognize_batch([images[i] for i in chunk]), strict=True):
            hyps[i] = result.text
    return [hyps[i] for i in range(len(records))]


@dataclass(frozen=True)
class PersonalizeResult:
    model_path: Path
    val_samples: int
    # held-out CER before (base) and after (other), with a paired bootstrap's 90 % interval of the
    # change: a handful of samples can move a CER by points either way, so lower is not yet better
    cer: PairedChange

    @property
    def before_cer(self) -> float:
        return self.cer.base

    @property
    def after_cer(self) -> float:
        return self.cer.other

    @property
    def verdict(self) -> str:
        return {-1: "better", 1: "worse", 0: "no clear difference"}[self.cer.direction]


def _unique_path(folder: Path, stem: str) -> Path:
    path = folder / f"{stem}.safetensors"
    k = 2
    while path.exists():
        path = folder / f"{stem}-{k}.safetensors"
        k += 1
    return path


def finish(
    plan: PersonalizePlan, trained_model: str | os.PathLike[str], models_dir: str | os.PathLike[str]
) -> PersonalizeResult:
    """Score base and personalised model on the held-out samples and save the new model file.

    The new file is `models_dir/personalised-<timestamp>.safetensors`, with the scores in its metadata.
    """
    records = [r for r in plan.val_records if r.image is not None or (r.path is not None and r.path.exists())]
    if len(records) < len(plan.val_records):
        log.warning("%d held-out samples were deleted during the run", len(plan.val_records) - len(records))
    base = load_model(plan.init)
    bundle = load_model(trained_model)
    refs = [r.text for r in records]
    change = paired_bootstrap(refs, read_on(base, records), read_on(bundle, records))["cer"]
    before, after = change.base, change.other  # the CERs of evaluate_on, scored once
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = _unique_path(folder, f"personalised-{stamp}")
    bundle.metadata = {
        **bundle.metadata,
        "name": path.stem,
        "description": (
            f"{base.name} personalised on {len(plan.extra_records)} handwriting samples; held-out CER "
            f"{100 * before:.1f}% -> {100 * after:.1f}% ({len(records)} samples)"
        ),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "personalised_from": str(plan.init),
        "metrics": {
            **dict(bundle.metadata.get("metrics") or {}),
            "user_val": {
                "before_cer": before,
                "after_cer": after,
                "samples": len(records),
                "change_interval_90": [change.low, change.high],
            },
        },
    }
    save_model(bundle, path)
    log.info("personalised model saved to %s (held-out CER %.3f -> %.3f)", path, before, after)
    return PersonalizeResult(path, len(records), change)
