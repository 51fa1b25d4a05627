"""The `hwr` commands: each takes the parsed arguments and returns the exit status (`hwr_core.cli`
parses them and turns an `HwrError` into one line and a non-zero exit).

Heavy imports (torch, cv2) live inside the commands so `hwr --help` is instant.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from .errors import HwrError
from .pace import ReadingPace, time_left_text
from .resources import default_model_path

if TYPE_CHECKING:
    from .data.records import ReadReport, Record
    from .data.spec import DataSpec

T = TypeVar("T")

log = logging.getLogger("hwr")

EXIT_ERROR = 2


def _model_path(path: str | None) -> Path:
    model_path = Path(path) if path else default_model_path()
    if not path and not model_path.exists():
        raise HwrError(f"no default model at {model_path}; pass --model FILE (train one with 'hwr train')")
    return model_path


def _load_bundle(path: str | None):  # type: ignore[no-untyped-def]
    from .modelfile import load_model

    return load_model(_model_path(path))


def _recognizer(args: argparse.Namespace, engine_threads: int | None = None):  # type: ignore[no-untyped-def]
    from .api import open_reader
    from .config import CLI_LANGUAGES

    reader = open_reader(
        _model_path(args.model),
        backend=args.backend,
        engine_threads=engine_threads,
        beam=getattr(args, "beam", 0),
        greedy=getattr(args, "greedy", False),
        n_best=getattr(args, "n_best", None),
        word_list=getattr(args, "lexicon", None),
        word_weight=getattr(args, "lexicon_weight", None),
        char_model=getattr(args, "lm", None),
        char_weight=getattr(args, "lm_weight", None),
        allowed=getattr(args, "allow", None),
        language=CLI_LANGUAGES[args.lang] if getattr(args, "lang", None) else None,
    )
    return reader.recognizer


def with_progress_line(
    readings: Iterator[T], total: int, stream: TextIO, clock: Callable[[], float] = time.monotonic
) -> Iterator[T]:
    """`readings` as they come, with "hwr: 120 of 500 read · about 3 min left" (`hwr_core.pace`)
    written over itself on `stream` (a terminal) after each, and taken off before the next is
    handed on, so that what is printed of a reading (its errors) starts on a clean line."""
    pace = ReadingPace(clock(), 0)

    def write(text: str) -> None:
        stream.write("\r\x1b[K" + text)  # to the line's start, the line cleared
        stream.flush()

    for count, reading in enumerate(readings, start=1):
        write("")
        yield reading
        left = time_left_text(pace.time_left(clock(), count, total - count))
        write(f"hwr: {count} of {total} read" + (f" · {left}" if left else ""))
    write("")


def cmd_recognize(args: argparse.Namespace) -> int:
    from .batch import (
        IMAGE_SUFFIXES,
        FileSummary,
        find_images,
        read_files,
        write_joined_text,
        write_labels_tsv,
        write_text_files,
    )
    from .layout_export import page_lines, write_alto_xml, write_hocr, write_page_xml
    from .layout_fill import LayoutText, write_filled_layouts
    from .parallel import default_jobs
    from .pdf_export import write_searchable_pdf

    files = find_images(args.images)
    if not files:
        kinds = " ".join(sorted(IMAGE_SUFFIXES))
        raise HwrError(f"no images in {', '.join(args.images)} (looked for {kinds}, else PAGE or ALTO .xml)")
    if args.upright and args.region:
        raise HwrError("--upright turns whole images: a --region is read as it is")
    wanted = args.jobs or default_jobs()
    jobs = min(wanted, len(files))  # files read at once
    # Several files: the cores go to the files (`read_files`), each engine on one thread, not the
    # cores over again. One file: its page's lines get them.
    rec = _recognizer(args, engine_threads=1 if jobs > 1 else None)
    if jobs == 1:
        rec = rec.with_jobs(wanted)
    read: list[tuple[Path, str]] = []
    placed = []  # the lines of what was read with where they lie (not a canvas drawing's)
    layouts = []  # what was read on PAGE and ALTO files' own lines
    options = {"lines": args.lines, "rotate": args.rotate, "region": args.region, "upright": args.upright}
    readings = read_files(rec, files, jobs=jobs, **options)  # type: ignore[arg-type]
    if len(files) > 1 and sys.stderr.isatty() and not sys.stdout.isatty():  # the texts go elsewhere
        readings = with_progress_line(readings, len(files), sys.stderr)
    for reading in readings:
        if reading.error:
            print(f"hwr: error: {reading.error}", file=sys.stderr)
            continue
        if reading.result is not None and reading.result.turned:
            print(f"hwr: {reading.path}: read turned {reading.result.turned}° clockwise", file=sys.stderr)
        read.append((reading.path, reading.text))
        if reading.layout is not None:
            sure = reading.word_confidences()
            layouts.append(LayoutText(reading.layout, reading.layout_lines, reading.text, reading.text, sure))
        lines = None
        if args.page_xml or args.alto or args.hocr or args.pdf or args.json:
            lines = page_lines(reading.path, reading.text, FileSummary.of(reading))
            placed += [lines] if lines is not None else []
        if args.json:
            out: dict[str, object] = {"file": str(reading.path), "text": reading.text}
            assert reading.result is not None
            out.update(reading.result.to_json())
            if lines is not None:  # where each line and word lies in the file's image
                out["placed"] = lines.to_json()
            print(json.dumps(out, ensure_ascii=False))
        elif len(files) == 1:
            print(reading.text)
        else:  # a row per line read, each naming its file, so that every row is path<TAB>text
            print("\n".join(f"{reading.path}\t{line}" for line in reading.text.split("\n")))
        sys.stdout.flush()
    written = []
    if args.txt_dir and read:
        count = len(write_text_files(read, args.txt_dir))
        written.append(f"{count} text file{'s' if count != 1 else ''} in {args.txt_dir}")
    if args.tsv and read:
        written.append(str(write_labels_tsv(read, args.tsv)))
    if args.joined and read:
        written.append(str(write_joined_text(read, args.joined)))
    if args.page_xml and placed:
        count = len(write_page_xml(placed, args.page_xml, datetime.now(UTC)))
        written.append(f"{count} PAGE XML file{'s' if count != 1 else ''} in {args.page_xml}")
    if args.alto and placed:
        count = len(write_alto_xml(placed, args.alto, datetime.now(UTC)))
        written.append(f"{count} ALTO XML file{'s' if count != 1 else ''} in {args.alto}")
    if args.hocr and placed:
        written.append(str(write_hocr(placed, args.hocr)))
    if args.pdf and placed:
        written.append(str(write_searchable_pdf(placed, args.pdf)))
    if args.fill_layout and layouts:
        count = len(write_filled_layouts(layouts, args.fill_layout, datetime.now(UTC)))
        written.append(f"{count} filled PAGE/ALTO file{'s' if count != 1 else ''} in {args.fill_layout}")
    elif args.fill_layout and read:
        print("hwr: --fill-layout: none of the files read is a PAGE or ALTO file", file=sys.stderr)
    if written:
        print(f"hwr: wrote {'; '.join(written)}", file=sys.stderr)
    failures = len(files) - len(read)
    if failures and len(files) > 1:
        print(f"hwr: {failures} of {len(files)} files not read", file=sys.stderr)
    return EXIT_ERROR if failures else 0


def _write_misread(path: Path, names: list[str], refs: list[str], hyps: list[str]) -> None:
    """Every sample read otherwise than its transcription, the worst first: a TSV of the file, what
    it says, what was read and that sample's CER (to look at, or to teach the model with)."""
    from .fileio import atomic_write_bytes
    from .metrics import cer

    wrong = [(cer([ref], [hyp]), name, ref, hyp) for name, ref, hyp in zip(names, refs, hyps, strict=True)]
    wrong = sorted((w for w in wrong if w[2] != w[3]), key=lambda w: -w[0])

    def cell(text: str) -> str:  # a page's lines on one row
        return text.replace("\t", " ").replace("\n", " / ")

    rows = ["path\ttext\tread\tcer"] + [f"{n}\t{cell(r)}\t{cell(h)}\t{c:.4f}" for c, n, r, h in wrong]
    atomic_write_bytes(path, ("\n".join(rows) + "\n").encode("utf-8"))
    print(f"hwr: wrote the {len(wrong)} sample(s) misread to {path}", file=sys.stderr)


def _eval_records(spec: DataSpec, limit: int) -> tuple[list[Record], ReadReport]:
    """The samples `hwr eval` reads (the first `limit`, if > 0): a file-based spec's records, or a
    synthetic one's samples of epoch 0, each drawn from its seed (`?seed=`, default 0) and index, so a
    run is repeated exactly (`benchmarks/accuracy.py`'s synthetic row: `heldout=heldout&seed=99`)."""
    from .data.records import ReadReport
    from .data.spec import load_records
    from .data.synth import SyntheticSource

    if spec.kind != "synth":
        records, report = load_records(spec, codec=None)
        return (records[:limit] if limit else records), report
    source = SyntheticSource(spec)
    records = source.first(limit)
    return records, ReadReport(source=source.name, rows=len(records), usable=len(records))


def cmd_eval(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np

    from .data.spec import parse_spec
    from .environment import library_versions
    from .image_io import load_image
    from .metrics import summarize

    rec = _recognizer(args)
    other = _recognizer(argparse.Namespace(**{**vars(args), "model": args.against})) if args.against else None
    spec = parse_spec(args.data)
    if args.split:
        spec = dataclasses.replace(spec, split=args.split)
    records, report = _eval_records(spec, args.limit)
    refs, hyps, other_hyps, latencies, names = [], [], [], [], []
    unreadable = 0
    for k, r in enumerate(records):
        try:
            image = (
                r.image
                if r.image is not None
                else load_image(r.path, max_pixels=rec.preprocess_cfg.max_pixels)
            )
        except HwrError as e:
            log.warning("%s", e)
            unreadable += 1
            continue
        t = time.perf_counter()
        hyp = _read_text(rec, image, args.lines)
        latencies.append((time.perf_counter() - t) * 1000)
        refs.append(r.text)
        hyps.append(hyp)
        names.append(str(Path(r.path).resolve()) if r.path is not None else f"#{k + 1}")  # a row: its number
        if other is not None:
            other_hyps.append(_read_text(other, image, args.lines))
    if not refs:
        raise HwrError(f"{spec}: no samples could be evaluated")
    s = summarize(refs, hyps)
    out = {
        "data": str(spec),
        "model": str(rec.bundle.path),
        "decoding": rec.decode_cfg.describe() + (", as pages" if args.lines else ""),
        "n": s.n,
        "cer": round(s.cer, 5),
        "wer": round(s.wer, 5),
        "accuracy": round(s.accuracy, 5),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2),
        "latency_ms_p90": round(float(np.percentile(latencies, 90)), 2),
        "skipped_rows": sum(report.skipped.values()) + unreadable,
        "worst_chars": [[c, round(rate, 3), n] for c, rate, n in s.worst_chars[:10]],
        "confusions": [[c.ref, c.hyp, c.count] for c in s.confusions[:10]],
        "environment": library_versions(),  # another OpenCV moves CER by hundredths of a point
    }
    if other is not None:
        out["against"] = _comparison(other, refs, hyps, other_hyps)
    if args.misread:
        _write_misread(Path(args.misread), names, refs, hyps)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"{out['data']}: n={s.n}  CER {s.cer:.2%}  WER {s.wer:.2%}  accuracy {s.accuracy:.2%}")
        print(
            f"latency p50 {out['latency_ms_p50']} ms, p90 {out['latency_ms_p90']} ms per image ({out['decoding']})"
        )
        if s.confusions:
            shown = ", ".join(f"{c.ref or '∅'}→{c.hyp or '∅'} ×{c.count}" for c in s.confusions[:8])
            print(f"most frequent confusions: {shown}")
        if s.worst_chars:
            print(
                "least recognised characters: "
                + ", ".join(f"{c!r} {r:.0%} of {n}" for c, r, n in s.worst_chars[:8])
            )
        if other is not None:
            a = out["against"]
            print(
                f"against {a['model']}: CER {a['cer']:.2%} ({a['cer_change'] * 100:+.2f} points, 90 % interval "
                f"{a['cer_change_low'] * 100:+.2f} to {a['cer_change_high'] * 100:+.2f}), accuracy "
                f"{a['accuracy']:.2%} ({a['accuracy_change'] * 100:+.2f} points): {a['verdict']}"
            )
    return 0


def _read_text(rec, image, lines: bool) -> str:  # type: ignore[no-untyped-def]
    result = rec.recognize_page(image) if lines else rec.recognize(image)
    return result.text if result else ""  # (scoring joins a page's lines with spaces)


def _comparison(other, refs: list[str], hyps: list[str], other_hyps: list[str]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The second model's figures and how far its change from the first is more than chance
    (a paired bootstrap over the samples: both models on the same draws)."""
    from .metrics import paired_bootstrap

    ch = paired_bootstrap(refs, hyps, other_hyps)
    c, a = ch["cer"], ch["accuracy"]
    verdict = {
        -1: "fewer errors beyond chance",
        1: "more errors beyond chance",
        0: "a difference within chance",
    }[c.direction]
    return {
        "model": str(other.bundle.path),
        "decoding": other.decode_cfg.describe(),
        "cer": round(c.other, 5),
        "accuracy": round(a.other, 5),
        "cer_change": round(c.change, 5),
        "cer_change_low": round(c.low, 5),
        "cer_change_high": round(c.high, 5),
        "accuracy_change": round(a.change, 5),
        "accuracy_change_low": round(a.low, 5),
        "accuracy_change_high": round(a.high, 5),
        "verdict": verdict,
    }


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event that Ctrl-C and SIGTERM set (a run then stops between batches), for the block only:
    the previous handlers come back after it, so a caller in the same process (a test) keeps its own."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _train_config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .config import AugmentConfig, TrainConfig

    return TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        schedule=args.schedule,
        early_stopping_patience=args.patience,
        freeze_backbone_epochs=args.freeze_backbone_epochs,
        seed=args.seed,
        device=args.device,
        amp=args.amp,
        compile=args.compile,
        checkpoint_every_batches=args.checkpoint_every,
        samples_per_epoch=args.samples_per_epoch,
        val_max_samples=args.val_max,
        bn_recalibrate_batches=args.bn_recalibrate,
        freeze_batchnorm=args.freeze_batchnorm,
        keep_epoch_weights=args.keep_epoch_weights,
        loader_workers=args.loader_workers,
        augment=AugmentConfig(),
        augment_enabled=not args.no_augment,
    )


def cmd_train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .data.builder import build_training
    from .training import BatchEnd, CheckpointSaved, EpochEnd, Trainer, TrainingFinished

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(out / "train.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    cfg = _train_config(args)
    setup = build_training(
        data=args.data,
        val=args.val,
        cfg=cfg,
        init=args.init,
        variant=args.variant,
        height=args.height,
        width_scale=args.width_scale,
        extend_charset=args.extend_charset,
        resume_dir=out if args.resume else None,
    )
    for line in setup.report_lines():
        log.info("%s", line)
        print(line, file=sys.stderr)
    run_info = {"command": " ".join(["hwr", *sys.argv[1:]]), "data": setup.data_summary()}
    trainer = Trainer(
        setup.bundle, setup.train_set, setup.val_set, cfg, out, resume=args.resume, run_info=run_info
    )
    # Ctrl-C / SIGTERM ask the trainer to stop between batches; it saves a checkpoint first.
    with _stop_on_signals() as stop:
        bar = None
        for ev in trainer.fit(stop.is_set):
            if isinstance(ev, BatchEnd):
                if bar is None or bar.total != ev.batches:
                    if bar is not None:
                        bar.close()
                    bar = tqdm(
                        total=ev.batches,
                        initial=ev.batch - 1,
                        desc=f"epoch {ev.epoch + 1}/{cfg.epochs}",
                        unit="batch",
                        disable=args.quiet,
                        dynamic_ncols=True,
                    )
                bar.update(ev.batch - bar.n)
                bar.set_postfix(loss=f"{ev.loss:.3f}", lr=f"{ev.lr:.1e}", sps=f"{ev.samples_per_s:.0f}")
            elif isinstance(ev, EpochEnd):
                if bar is not None:
                    bar.close()
                    bar = None
                msg = f"epoch {ev.epoch + 1}/{ev.epochs}: train loss {ev.train_loss:.4f}"
                if ev.val_cer is not None:
                    msg += f", val loss {ev.val_loss:.4f}, val CER {ev.val_cer:.2%}, accuracy {ev.val_accuracy:.2%}"
                    msg += " (best)" if ev.improved else ""
                msg += f", {ev.seconds:.0f} s"
                if len(ev.val_cer_by_source) > 1:
                    msg += "\n  val CER by source: " + ", ".join(
                        f"{name} {rate:.1%}" for name, rate in ev.val_cer_by_source.items()
                    )
                log.info("%s", msg)
                print(msg, file=sys.stderr)
                for truth, pred in ev.predictions[:4]:
                    log.info("  %r -> %r", truth, pred)
            elif isinstance(ev, CheckpointSaved):
                log.info("checkpoint saved: %s (%s)", ev.path, ev.reason)
            elif isinstance(ev, TrainingFinished):
                if bar is not None:
                    bar.close()
                msg = f"training {ev.reason} after {ev.epochs_done} epochs in {ev.seconds:.0f} s"
                if ev.best_cer is not None:
                    msg += f"; best val CER {ev.best_cer:.2%}"
                if ev.model_path:
                    msg += f"; model: {ev.model_path}"
                log.info("%s", msg)
                print(msg, file=sys.stderr)
    return 0


def cmd_personalise(args: argparse.Namespace) -> int:
    """The Teach tab's personalisation: fine-tune a model on a folder of the user's samples."""
    import tempfile

    from .personalize import PersonalizeConfig, final_weights, finish, fit, make_plan, synth_replay_spec
    from .resources import default_model_path
    from .training import EpochEnd, TrainingFinished
    from .userdata import UserSampleStore, default_models_dir, default_user_data_dir

    folder = Path(args.samples or default_user_data_dir())
    if not (folder / "labels.tsv").is_file():
        raise HwrError(f"no samples in {folder} (collect them in the app's Teach tab)")
    chosen = {"epochs": args.epochs, "freeze_backbone_epochs": args.freeze_epochs}
    cfg = PersonalizeConfig(
        **{k: v for k, v in chosen.items() if v is not None},
        replay_specs=(synth_replay_spec(args.replay_fonts),) if args.replay_fonts else (),
    )
    with _stop_on_signals() as stop, tempfile.TemporaryDirectory(prefix="hwr-personalise-") as run_dir:
        plan = make_plan(
            args.model or default_model_path(), UserSampleStore(folder), cfg, Path(run_dir) / "run"
        )
        print(
            f"training on {len(plan.extra_records)} samples, scoring on {len(plan.val_records)} held out",
            file=sys.stderr,
        )
        done = None
        for ev in fit(plan, stop.is_set):
            if isinstance(ev, EpochEnd):
                held_out = f", held-out CER {ev.val_cer:.1%}" if ev.val_cer is not None else ""
                print(
                    f"epoch {ev.epoch + 1}/{ev.epochs}: train loss {ev.train_loss:.4f}{held_out}",
                    file=sys.stderr,
                )
            elif isinstance(ev, TrainingFinished):
                done = ev
        if done is None or done.reason != "completed":
            raise HwrError(f"personalisation {done.reason if done else 'ended'}; nothing was saved")
        result = finish(plan, final_weights(done), args.out_dir or default_models_dir())
    print(
        f"held-out CER {result.before_cer:.1%} -> {result.after_cer:.1%} on {result.val_samples} samples "
        f"(change {100 * result.cer.low:+.1f} to {100 * result.cer.high:+.1f} points, 90 % interval): "
        f"{result.verdict}; saved {result.model_path}"
    )
    return 0


def cmd_teach(args: argparse.Namespace) -> int:
    """The app's "Correct & teach" for an image: keep its lines, as read, as samples of the text's lines;
    or, with `--from`, keep every image of a labels.tsv (one line of writing each) with its text."""
    from .batch import file_line_samples
    from .userdata import UserSampleStore, default_user_data_dir

    if (args.image is None) != (args.text is None) or (args.image is None) == (args.source is None):
        raise HwrError("give an image and its text, or --from LABELS.tsv (not both)")
    if args.source is not None:
        return _teach_from(args)
    text = args.text.replace("\\n", "\n")
    pairs = file_line_samples(_recognizer(args), args.image, text, rotate=args.rotate, region=args.region)
    store = UserSampleStore(args.samples or default_user_data_dir())  # made only for what is kept
    kept, refused = store.add_images((crop, line, Path(args.image).name) for crop, line in pairs)
    return _report_kept(store, kept, refused, len(pairs))


def _teach_from(args: argparse.Namespace) -> int:
    """Keep each image of a labels.tsv, or of any data SPEC (a PAGE or ALTO XML folder's lines), as a sample
    of its text (a split column is not used unless the SPEC names one: the folder holds out its own
    share)."""
    from .config import PreprocessConfig
    from .data.spec import load_records, parse_spec
    from .image_io import load_view
    from .userdata import UserSampleStore, default_user_data_dir

    spec = parse_spec(args.source)
    if spec.kind == "synth":
        raise HwrError(f"{args.source} is synthetic data: Teach keeps your own handwriting")
    records, report = load_records(spec)
    store = UserSampleStore(args.samples or default_user_data_dir())
    unreadable: list[str] = []
    max_pixels = PreprocessConfig().max_pixels

    def loaded():  # type: ignore[no-untyped-def]  # one image at a time, not all of them in memory
        for r in records:
            assert r.path is not None
            try:
                yield load_view(r.path, max_pixels, args.rotate, args.region)[0], r.text, r.path.name
            except HwrError as e:
                unreadable.append(str(e))

    kept, refused = store.add_images(loaded())
    refused = unreadable + refused
    unusable = report.rows - report.usable
    if unusable:
        example = f" (e.g. {report.examples[0]})" if report.examples else ""
        rows = "1 row" if unusable == 1 else f"{unusable} rows"
        print(f"hwr: {rows} of {args.source} not usable{example}", file=sys.stderr)
    return _report_kept(store, kept, refused, len(records))


def _report_kept(store, kept: list, refused: list[str], asked: int) -> int:  # type: ignore[no-untyped-def]
    for sample in kept:
        print(f"kept {sample.text!r} ({sample.split})")
    for reason in refused:
        print(f"hwr: not kept: {reason}", file=sys.stderr)
    total = f"{len(store)} sample{'' if len(store) == 1 else 's'}"
    print(f"{len(kept)} of {asked} kept in {store.folder} ({total})", file=sys.stderr)
    return 0 if kept else EXIT_ERROR


def cmd_export(args: argparse.Namespace) -> int:
    import numpy as np

    from .modelfile import export_onnx
    from .recognizer import Recognizer

    bundle = _load_bundle(args.model)
    path = export_onnx(bundle, args.onnx)
    # Check the exported graph against torch on a word-sized and a line-sized input.
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    torch_rec = Recognizer(bundle)
    rng = np.random.default_rng(0)
    worst = 0.0
    for width in (96, 640):
        x = rng.random((2, 1, bundle.preprocess.height, width), dtype=np.float32)
        diff = np.abs(session.run(None, {"image": x})[0] - torch_rec.logits(x)).max()
        worst = max(worst, float(diff))
    if worst > 1e-3:
        raise HwrError(f"ONNX export differs from torch by {worst:.2e}; not trusted")
    print(f"exported {path} ({path.stat().st_size / 1e6:.1f} MB); max |onnx - torch| = {worst:.1e}")
    return 0


def cmd_average(args: argparse.Namespace) -> int:
    from .averaging import average_models, recompute_statistics
    from .modelfile import save_model
    from .ort_session import onnxruntime_installed

    bundle = average_models(args.models)
    int8_batches = args.int8_batches if onnxruntime_installed() else 0
    used, seen = recompute_statistics(bundle, args.models[-1], args.bn_batches, int8_batches)
    note = f"; BatchNorm statistics over {used} training batches" if used else ""
    note += f"; 8-bit ranges over {seen} training images" if seen else ""
    out = save_model(bundle, args.out)
    print(f"wrote {out}: the mean of {len(args.models)} models{note}")
    return 0


def cmd_charlm(args: argparse.Namespace) -> int:
    from .charlm import CharLM, CharLMConfig, corpus_texts
    from .charset import DEFAULT_ALPHABET, untokenize
    from .data.textgen import generated_numbers, load_wordlist, quoted_words

    texts: list[str] = []
    for src in args.sources:
        texts += corpus_texts(src)
    for src in args.untokenize or []:
        texts += [untokenize(t) for t in corpus_texts(src)]
    if args.word_lists:
        for lang in ("en", "vi"):
            words, phrases = load_wordlist(lang)
            texts += words + phrases
    if args.numbers:
        texts += generated_numbers(args.numbers)
    if args.quoted:
        texts += quoted_words(args.quoted)
    cfg = CharLMConfig(
        order=args.order,
        min_count=args.min_count,
        fold_case=not args.keep_case,
        case_by_letters=not args.case_by_classes,
    )
    lm = CharLM.build(texts, cfg, extra_chars=DEFAULT_ALPHABET)
    lm.info["sources"] = list(args.sources) + [f"{s} (untokenized)" for s in args.untokenize or []]
    if args.word_lists:
        lm.info["sources"].append("the package's English and Vietnamese word lists")
    if args.numbers:
        lm.info["sources"].append(
            f"{args.numbers} generated numbers (dates, times, prices, decimals, phones)"
        )
    if args.quoted:
        lm.info["sources"].append(f"{args.quoted} words of the word lists in quotation marks")
    lm.save(args.out)
    print(
        f"wrote {args.out}: order {lm.order}, {lm.info['texts']} texts, {lm.info['characters']} characters, "
        f"{sum(lm.info['contexts_per_order'])} contexts"
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    bundle = _load_bundle(args.model)
    card = bundle.card()
    card["training"] = {k: v for k, v in card["training"].items() if k != "history"}
    print(json.dumps(card, ensure_ascii=False, indent=2))
    return 0
