"""Training as a generator of events: the CLI draws a progress bar from them, the GUI re-emits them as signals.

`Trainer.fit(should_stop)` checks the stop flag between batches; stopping saves a checkpoint and
returns. Checkpoints are atomic and hold optimizer, scheduler, progress and RNG state, and the data
order is a function of (seed, epoch), so `resume=True` continues a killed run where its last
checkpoint left it. Under `torchrun` (WORLD_SIZE > 1) the model is wrapped in DDP and each rank
takes its share of every epoch's batches; only rank 0 writes files.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .batchnorm import recalibrate_on_mixture
from .config import TrainConfig, to_dict
from .data.dataset import Item, MixedTrainingSet, ValidationSet, collate
from .decoding import greedy_decode
from .errors import TrainingError
from .metrics import accuracy, cer, wer
from .modelfile import ModelBundle, TrainingState, load_checkpoint, load_model, save_checkpoint, save_model
from .ort_session import onnxruntime_installed
from .quantization import calibrate_on_mixture

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "last.ckpt.safetensors"
BEST_NAME = "best.safetensors"
EPOCHS_DIR = "epochs"  # with keep_epoch_weights: epoch-NNN.safetensors, numbered from 1
FINAL_NAME = "model.safetensors"
HISTORY_NAME = "history.jsonl"


@dataclass(frozen=True)
class BatchEnd:
    epoch: int
    batch: int  # 1-based index within the epoch
    batches: int  # batches in this epoch (this rank)
    step: int  # optimizer steps so far
    loss: float  # NaN when the batch was skipped for a non-finite loss
    lr: float
    samples_per_s: float
    eta_s: float  # to the end of the run
    skipped: bool = False


@dataclass(frozen=True)
class EpochEnd:
    epoch: int  # 0-based epoch just finished
    epochs: int
    train_loss: float
    lr: float
    seconds: float
    val_loss: float | None = None
    val_cer: float | None = None
    val_wer: float | None = None
    val_accuracy: float | None = None
    improved: bool = False
    predictions: tuple[tuple[str, str], ...] = ()  # (truth, prediction) for a few val samples
    val_cer_by_source: dict[str, float] = field(default_factory=dict)  # per validation source


@dataclass(frozen=True)
class CheckpointSaved:
    path: Path
    epoch: int
    batch: int
    reason: str  # "epoch" | "interval" | "stop" | "nan"


@dataclass(frozen=True)
class TrainingFinished:
    reason: str  # "completed" | "early_stopping" | "stopped"
    epochs_done: int
    best_cer: float | None
    model_path: Path | None
    checkpoint_path: Path | None
    seconds: float


Event = BatchEnd | EpochEnd | CheckpointSaved | TrainingFinished


@dataclass
class Progress:
    epoch: int = 0
    batch: int = 0  # batches of `epoch` already done
    step: int = 0
    best_cer: float | None = None
    bad_epochs: int = 0
    seconds: float = 0.0
    epoch_seconds: float = 0.0  # wall time already spent in `epoch` (survives a resume)
    history: list[dict[str, Any]] = field(default_factory=list)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"device {name!r} was asked for but CUDA is not available here")
    return dev


def amp_supported(device: torch.device) -> bool:
    """bfloat16 autocast pays off on CUDA and on CPUs with native bf16 (AVX512-BF16 / AMX), where
    oneDNN runs the convolutions and LSTM about 1.5-2x faster; elsewhere it is emulated and slower."""
    if device.type == "cuda":
        return True
    return device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def _dist() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    return rank, world


def check_output_dir(out_dir: Path, need_bytes: int) -> None:
    """Fail before training if checkpoints could not be written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as e:
        raise TrainingError(f"cannot write to output folder {out_dir}: {e.strerror or e}") from None
    free = shutil.disk_usage(out_dir).free
    if free < need_bytes:
        raise TrainingError(
            f"only {free / 1e6:.0f} MB free in {out_dir}; checkpoints need about {need_bytes / 1e6:.0f} MB"
        )


class _BatchLoader:
    """An epoch's batches, each loaded on one worker thread while the batch before it trains, or
    in a pool of processes (`TrainConfig.loader_workers`) several batches ahead.

    Augmenting and preprocessing a batch took a fifth of a CPU training step, run between the
    steps; the model's ops release the GIL, so most of it now overlaps them. One worker thread at a
    time touches the sources (their caches are not shared), and with no `pool` and `ahead` false
    everything loads on the calling thread. The batches are the same every way: each sample is a
    function of seed, epoch and index.
    """

    def __init__(
        self,
        train_set: MixedTrainingSet,
        plan: list[tuple[int, list[int]]],
        epoch: int,
        ahead: bool,
        pool: ProcessPoolExecutor | None = None,
        depth: int = 1,
    ) -> None:
        self._train_set = train_set
        self._plan = plan
        self._epoch = epoch
        self._in_processes = pool is not None
        self._depth = depth  # batches loading ahead of the one asked for
        self._pool: Executor | None = pool or (
            ThreadPoolExecutor(1, thread_name_prefix="hwr-batches") if ahead else None
        )
        self._pending: dict[int, Future[Any]] = {}

    def __enter__(self) -> _BatchLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        for future in self._pending.values():
            future.cancel()
        if self._pool is not None and not self._in_processes:  # the process pool outlives the epoch
            self._pool.shutdown(wait=True, cancel_futures=True)

    def get(self, b: int) -> list[Item]:
        """Batch `b`'s items; the batches after it start loading before this returns."""
        if self._pool is None:
            return self._load(b)
        for ahead in range(b, min(b + 1 + self._depth, len(self._plan))):
            if ahead not in self._pending:
                self._pending[ahead] = self._submit(ahead)
        result = self._pending.pop(b).result()
        if not self._in_processes:
            return result
        items, skipped = result
        self._train_set.skipped.update(skipped)  # counted in the worker's copy
        return items

    def _submit(self, b: int) -> Future[Any]:
        assert self._pool is not None
        source_index, indices = self._plan[b]
        if self._in_processes:
            return self._pool.submit(_load_in_worker, source_index, indices, self._epoch)
        return self._pool.submit(self._load, b)

    def _load(self, b: int) -> list[Item]:
        source_index, indices = self._plan[b]
        return self._train_set.load_batch(source_index, indices, self._epoch)


# A loader process's copy of the training set, set once by its initializer: per process, not
# shared state (the training process never sets it).
_worker_set: MixedTrainingSet | None = None


def _start_loader_worker(train_set: MixedTrainingSet) -> None:
    global _worker_set
    _worker_set = train_set
    torch.set_num_threads(1)  # the workers share the cores; each loads one batch at a time


def _load_in_worker(source_index: int, indices: list[int], epoch: int) -> tuple[list[Item], Counter[str]]:
    assert _worker_set is not None
    before = _worker_set.skipped.copy()
    items = _worker_set.load_batch(source_index, indices, epoch)
    return items, _worker_set.skipped - before


def _loader_pool(train_set: MixedTrainingSet, workers: int) -> ProcessPoolExecutor:
    """Spawned, not forked: the training process may hold CUDA and threads, which fork does not copy safely."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_loader_worker,
        initargs=(train_set,),
    )


class Trainer:
    def __init__(
        self,
        bundle: ModelBundle,
        train_set: MixedTrainingSet,
        val_set: ValidationSet | None,
        cfg: TrainConfig,
        out_dir: str | os.PathLike[str],
        resume: bool = False,
        run_info: dict[str, Any] | None = None,
    ) -> None:
        if train_set.preprocess_cfg != bundle.preprocess:
            raise TrainingError("the training set's preprocessing differs from the model's")
        if train_set.codec != bundle.codec:
            raise TrainingError("the training set's charset differs from the model's")
        if cfg.freeze_batchnorm and cfg.bn_recalibrate_batches > 0:
            raise TrainingError(
                "frozen BatchNorm statistics cannot also be recalibrated before each validation: "
                "choose one of --freeze-batchnorm and --bn-recalibrate"
            )
        self.bundle = bundle
        self.train_set = train_set
        self.val_set = val_set
        self.cfg = cfg
        self.out_dir = Path(out_dir)
        self.resume = resume
        self.run_info = dict(run_info or {})
        self.rank, self.world = _dist()
        self.device = resolve_device(cfg.device)

    # ------------------------------------------------------------------ setup

    def _init_distributed(self) -> bool:
        """Joins the ranks' process group; True when this trainer created it (and so must destroy it)."""
        import torch.distributed as dist

        created = not dist.is_initialized()
        if created:
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            dist.init_process_group(backend=backend)
        if self.device.type == "cuda":
            local = int(os.environ.get("LOCAL_RANK", "0"))
            self.device = torch.device("cuda", local)
            torch.cuda.set_device(self.device)
        return created

    def _agree(self, flag: bool) -> bool:
        """Rank 0's decision, so all ranks leave loops together."""
        if self.world == 1:
            return flag
        import torch.distributed as dist

        t = torch.tensor([1 if flag else 0], device=self.device if self.device.type == "cuda" else "cpu")
        dist.broadcast(t, src=0)
        return bool(t.item())

    def _make_scheduler(self, optimizer: torch.optim.Optimizer, batches: int) -> Any:
        c = self.cfg
        if c.schedule == "onecycle":
            return torch.optim.lr_scheduler.OneCycleLR(
                optimizer,
                max_lr=c.lr,
                total_steps=max(1, c.epochs * batches),
                pct_start=0.15,
                div_factor=10.0,
            )
        if c.schedule == "plateau":
            return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
        return None

    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / CHECKPOINT_NAME

    def _save(
        self, optimizer: Any, scheduler: Any, progress: Progress, reason: str
    ) -> CheckpointSaved | None:
        if self.rank != 0:
            return None
        self.bundle.metadata["training"] = self._training_summary(progress)
        state = TrainingState(
            optimizer=optimizer.state_dict(),
            scheduler=scheduler.state_dict() if scheduler is not None else None,
            progress={k: v for k, v in progress.__dict__.items()},
            rng={"torch": torch.get_rng_state()},
        )
        save_checkpoint(self.bundle, state, self.checkpoint_path)
        return CheckpointSaved(self.checkpoint_path, progress.epoch, progress.batch, reason)

    def _training_summary(self, progress: Progress) -> dict[str, Any]:
        return {
            **self.run_info,
            "config": to_dict(self.cfg),
            "epochs_done": progress.epoch,
            "steps": progress.step,
            "seconds": round(progress.seconds, 1),
            "best_val_cer": progress.best_cer,
            "history": progress.history,
        }

    # ------------------------------------------------------------------ validation

    @torch.no_grad()
    def evaluate(self, model: nn.Module, max_predictions: int = 8) -> dict[str, Any]:
        assert self.val_set is not None
        model.eval()
        refs: list[str] = []
        hyps: list[str] = []
        sources: list[str] = []
        losses: list[float] = []
        height = self.bundle.preprocess.height
        for items in self.val_set.batches(64):
            x, widths, targets, lengths = collate(items, height)
            logits = model(x.to(self.device)).float()
            log_probs = logits.log_softmax(-1)
            out_lens = self.bundle.model.output_lengths(widths)
            loss = F.ctc_loss(
                log_probs.permute(1, 0, 2),
                targets,
                out_lens,
                lengths,
                blank=0,
                reduction="sum",
                zero_infinity=True,
            )
            losses.append(float(loss) / len(items))
            lp = log_probs.cpu().numpy()
            for i, it in enumerate(items):
                refs.append(it.text)
                hyps.append(greedy_decode(lp[i, : int(out_lens[i])], self.bundle.codec).text)
                sources.append(it.source)
        model.train()
        by_source: dict[str, float] = {}
        for name in sorted(set(sources)):  # a mixed val set: which data the model reads worst
            pairs = [(r, h) for r, h, src in zip(refs, hyps, sources, strict=True) if src == name]
            by_source[name] = cer([r for r, _ in pairs], [h for _, h in pairs])
        step = max(1, len(refs) // max_predictions)
        preds = tuple((refs[i], hyps[i]) for i in range(0, len(refs), step))[:max_predictions]
        return {
            "val_loss": float(np.mean(losses)),
            "val_cer": cer(refs, hyps),
            "val_wer": wer(refs, hyps),
            "val_accuracy": accuracy(refs, hyps),
            "val_cer_by_source": by_source,
            "predictions": preds,
        }

    # ------------------------------------------------------------------ the loop

    def fit(self, should_stop: Callable[[], bool] = lambda: False) -> Iterator[Event]:
        created_group = self._init_distributed() if self.world > 1 else False
        workers = self.cfg.loader_workers
        pool = _loader_pool(self.train_set, workers) if workers > 0 else None
        if pool is not None:
            log.info("loading batches in %d process%s", workers, "" if workers == 1 else "es")
        try:
            yield from self._fit(should_stop, pool)
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            # A rank that exits with gloo's process group alive can abort in interpreter
            # teardown (SIGABRT), failing a run that had finished; so the group ends with the fit.
            if created_group:
                import torch.distributed as dist

                dist.destroy_process_group()

    def _fit(self, should_stop: Callable[[], bool], pool: ProcessPoolExecutor | None) -> Iterator[Event]:
        c = self.cfg
        torch.manual_seed(c.seed)
        model = self.bundle.model.to(self.device)
        model.freeze_batchnorm(c.freeze_batchnorm)
        model.train()
        params = [p for p in model.parameters()]
        optimizer = torch.optim.AdamW(params, lr=c.lr, weight_decay=c.weight_decay)
        batches_total = self.train_set.num_batches() // self.world
        if batches_total < 1:
            raise TrainingError("the training data gives no full batch; lower the batch size or add data")
        scheduler = self._make_scheduler(optimizer, batches_total)
        progress = Progress()

        if self.rank == 0:
            model_bytes = sum(p.numel() for p in params) * 4
            check_output_dir(self.out_dir, need_bytes=8 * model_bytes + 10_000_000)
        if self.resume and self.checkpoint_path.exists():
            progress = self._restore(optimizer, scheduler)
            log.info(
                "resumed from %s at epoch %d, batch %d", self.checkpoint_path, progress.epoch, progress.batch
            )
        elif self.resume:
            log.info("no checkpoint in %s: starting a new run", self.out_dir)

        forward: nn.Module = model
        if self.world > 1:
            forward = nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None
            )
        if c.compile and self.device.type == "cuda":
            forward = torch.compile(forward)  # type: ignore[assignment]
        use_amp = c.amp and amp_supported(self.device)
        if c.amp and not use_amp:
            log.warning("bfloat16 mixed precision is not supported on %s: training in float32", self.device)
        height = self.bundle.preprocess.height
        nan_streak = 0
        run_start = time.perf_counter() - progress.seconds
        epoch_start = 0.0

        def tick() -> None:  # wall times so far, saved with each checkpoint
            now = time.perf_counter()
            progress.seconds = now - run_start
            progress.epoch_seconds = now - epoch_start

        while progress.epoch < c.epochs:
            epoch = progress.epoch
            model.freeze_backbone(epoch < c.freeze_backbone_epochs)
            model.train()
            plan = self.train_set.batches(epoch)
            plan = plan[: len(plan) - len(plan) % self.world][self.rank :: self.world]
            epoch_losses: list[float] = []
            epoch_start = time.perf_counter() - progress.epoch_seconds
            rate_start = time.perf_counter()  # throughput and ETA from this process's batches
            seen = 0
            with _BatchLoader(
                self.train_set, plan, epoch, c.prefetch, pool, max(1, 2 * c.loader_workers)
            ) as loader:
                for b in range(progress.batch, len(plan)):
                    if self._agree(should_stop()):
                        tick()
                        saved = self._save(optimizer, scheduler, progress, "stop")
                        if saved:
                            yield saved
                        yield TrainingFinished(
                            "stopped", epoch, progress.best_cer, None, self.checkpoint_path, progress.seconds
                        )
                        return
                    items = loader.get(b)
                    if not items:
                        progress.batch = b + 1
                        continue
                    x, widths, targets, lengths = collate(items, height)
                    x = x.to(self.device, non_blocking=True)
                    with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=use_amp):
                        logits = forward(x)
                    log_probs = logits.float().log_softmax(-1).permute(1, 0, 2)  # (T, N, C)
                    out_lens = model.output_lengths(widths)
                    loss = F.ctc_loss(
                        log_probs, targets.to(self.device), out_lens, lengths, blank=0, reduction="mean"
                    )
                    optimizer.zero_grad(set_to_none=True)
                    finite = bool(torch.isfinite(loss))
                    if finite:
                        loss.backward()
                        norm = nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
                        finite = bool(torch.isfinite(norm))
                    if not finite:
                        # Skip the step: the weights stay as they were after the last good batch.
                        optimizer.zero_grad(set_to_none=True)
                        nan_streak += 1
                        log.warning("non-finite loss at epoch %d batch %d: batch skipped", epoch, b + 1)
                        progress.batch = b + 1
                        yield BatchEnd(
                            epoch,
                            b + 1,
                            len(plan),
                            progress.step,
                            math.nan,
                            self._lr(optimizer),
                            0.0,
                            0.0,
                            True,
                        )
                        if nan_streak >= c.max_nan_batches:
                            tick()
                            saved = self._save(optimizer, scheduler, progress, "nan")
                            if saved:
                                yield saved
                            raise TrainingError(
                                f"{nan_streak} batches in a row had a non-finite loss; stopped. The last good weights "
                                f"are in {self.checkpoint_path}; try a lower learning rate."
                            )
                        continue
                    nan_streak = 0
                    optimizer.step()
                    if (
                        c.schedule == "onecycle"
                        and scheduler is not None
                        and scheduler.last_epoch + 1 < scheduler.total_steps
                    ):
                        scheduler.step()
                    progress.step += 1
                    progress.batch = b + 1
                    seen += len(items)
                    epoch_losses.append(float(loss.detach()))
                    elapsed = time.perf_counter() - rate_start
                    rate = seen / elapsed if elapsed > 0 else 0.0
                    per_batch = elapsed / max(1, len(epoch_losses))
                    remaining = (len(plan) - b - 1) + (c.epochs - epoch - 1) * len(plan)
                    yield BatchEnd(
                        epoch,
                        b + 1,
                        len(plan),
                        progress.step,
                        epoch_losses[-1],
                        self._lr(optimizer),
                        rate,
                        remaining * per_batch,
                    )
                    if c.checkpoint_every_batches and progress.step % c.checkpoint_every_batches == 0:
                        tick()
                        saved = self._save(optimizer, scheduler, progress, "interval")
                        if saved:
                            yield saved

            # ---- epoch end
            record: dict[str, Any] = {
                "epoch": epoch,
                "train_loss": float(np.mean(epoch_losses)) if epoch_losses else math.nan,
                "lr": self._lr(optimizer),
                "seconds": round(time.perf_counter() - epoch_start, 1),
            }
            improved = False
            predictions: tuple[tuple[str, str], ...] = ()
            if self.val_set is not None:
                if c.bn_recalibrate_batches > 0:
                    # The recalibrated statistics stay in the model, so best.safetensors has them;
                    # training goes on normalising with batch statistics (the running averages
                    # simply continue from these values).
                    recalibrate_on_mixture(model, self.train_set, c.bn_recalibrate_batches, self.device)
                ev = self.evaluate(model)
                predictions = ev.pop("predictions")
                record.update(ev)
                improved = progress.best_cer is None or ev["val_cer"] < progress.best_cer - 1e-6
                if improved:
                    progress.best_cer = ev["val_cer"]
                    progress.bad_epochs = 0
                else:
                    progress.bad_epochs += 1
                if c.schedule == "plateau" and scheduler is not None:
                    scheduler.step(ev["val_cer"])
            progress.history.append(record)
            progress.epoch = epoch + 1
            progress.batch = 0
            tick()
            progress.epoch_seconds = 0.0
            if self.rank == 0:
                with open(self.out_dir / HISTORY_NAME, "a", encoding="utf-8") as f:
                    f.write(json.dumps(record) + "\n")
                self.bundle.metadata["training"] = self._training_summary(progress)
                if "val_cer" in record:
                    self.bundle.metadata["metrics"] = {
                        "val": {
                            k: record[k] for k in ("val_cer", "val_wer", "val_accuracy", "val_cer_by_source")
                        }
                    }
                if c.keep_epoch_weights:
                    save_model(self.bundle, self.out_dir / EPOCHS_DIR / f"epoch-{epoch + 1:03d}.safetensors")
                if improved:
                    save_model(self.bundle, self.out_dir / BEST_NAME)
            yield EpochEnd(
                epoch=epoch,
                epochs=c.epochs,
                train_loss=record["train_loss"],
                lr=record["lr"],
                seconds=record["seconds"],
                val_loss=record.get("val_loss"),
                val_cer=record.get("val_cer"),
                val_wer=record.get("val_wer"),
                val_accuracy=record.get("val_accuracy"),
                improved=improved,
                predictions=predictions,
                val_cer_by_source=record.get("val_cer_by_source", {}),
            )
            saved = self._save(optimizer, scheduler, progress, "epoch")
            if saved:
                yield saved
            stop_early = c.early_stopping_patience > 0 and progress.bad_epochs >= c.early_stopping_patience
            if self._agree(stop_early):
                break

        reason = "completed" if progress.epoch >= c.epochs else "early_stopping"
        final = self._finalize(progress) if self.rank == 0 else None
        yield TrainingFinished(
            reason, progress.epoch, progress.best_cer, final, self.checkpoint_path, progress.seconds
        )

    def _finalize(self, progress: Progress) -> Path:
        """The run's model file: the best validation weights when there was validation, else the last."""
        final = self.out_dir / FINAL_NAME
        best = self.out_dir / BEST_NAME
        if best.exists():
            shutil.copyfile(best, final)
        else:
            self.bundle.metadata["training"] = self._training_summary(progress)
            save_model(self.bundle, final)
        if self.cfg.int8_calibration_batches > 0 and onnxruntime_installed():
            try:
                bundle = load_model(final)
                calibrate_on_mixture(bundle, self.train_set, self.cfg.int8_calibration_batches)
                save_model(bundle, final)
            except Exception as e:  # noqa: BLE001 - the model reads without the ranges, a little slower
                log.warning("%s: 8-bit ranges not measured (%s); its convolutions read in float", final, e)
        return final

    def _restore(self, optimizer: torch.optim.Optimizer, scheduler: Any) -> Progress:
        bundle, state = load_checkpoint(self.checkpoint_path)
        if bundle.codec != self.bundle.codec or bundle.model.config != self.bundle.model.config:
            raise TrainingError(
                f"{self.checkpoint_path} belongs to a different model/charset; use another --out"
            )
        self.bundle.model.load_state_dict(bundle.model.state_dict())
        self.bundle.model.to(self.device)
        optimizer.load_state_dict(state.optimizer)
        if scheduler is not None and state.scheduler is not None:
            if (
                self.cfg.schedule == "onecycle"
                and state.scheduler.get("total_steps") != scheduler.total_steps
            ):
                raise TrainingError(
                    "the checkpoint was made with another number of epochs or batches; resume with the same "
                    "--epochs and data, or start a new run with --init"
                )
            scheduler.load_state_dict(state.scheduler)
        if "torch" in state.rng:
            torch.set_rng_state(state.rng["torch"])
        p = state.progress
        return Progress(
            epoch=int(p.get("epoch", 0)),
            batch=int(p.get("batch", 0)),
            step=int(p.get("step", 0)),
            best_cer=p.get("best_cer"),
            bad_epochs=int(p.get("bad_epochs", 0)),
            seconds=float(p.get("seconds", 0.0)),
            epoch_seconds=float(p.get("epoch_seconds", 0.0)),
            history=list(p.get("history", [])),
        )

    @staticmethod
    def _lr(optimizer: torch.optim.Optimizer) -> float:
        return float(optimizer.param_groups[0]["lr"])
