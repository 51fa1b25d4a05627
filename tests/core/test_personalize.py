"""Personalisation: planning, scoring, and the proof that 50 samples of a new hand already help.

The synthetic "user" writes with a font family that `split_fonts` holds out (never in any
training data here or of the shipped model), turned into pen strokes with jitter by
`text_to_strokes`, exactly as if drawn on the canvas. The helpers at the top are shared with
tests/app/test_teach_tab.py; the tiny base model is trained once per session into pytest's
session temp folder.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from testdata import FONTS

from hwr_core.charset import CTCCodec
from hwr_core.config import PreprocessConfig, TrainConfig
from hwr_core.data.builder import build_training
from hwr_core.data.prompts import load_prompts
from hwr_core.data.records import Record
from hwr_core.data.spec import parse_spec
from hwr_core.data.synth import SyntheticSource, load_fonts, split_fonts
from hwr_core.errors import HwrError
from hwr_core.metrics import PairedChange
from hwr_core.modelfile import load_model, new_bundle, read_metadata, save_model
from hwr_core.personalize import (
    PersonalizeConfig,
    PersonalizeResult,
    evaluate_on,
    final_weights,
    finish,
    fit,
    make_plan,
    synth_replay_spec,
)
from hwr_core.preprocess import render_strokes
from hwr_core.resources import models_dir
from hwr_core.strokes import text_to_strokes
from hwr_core.training import EpochEnd, Trainer, TrainingFinished
from hwr_core.userdata import UserSampleStore

SHIPPED = models_dir() / "default.safetensors"
PEN = 4.0  # ~0.08 x the 48 px writing size: the font's own weight
TINY_BASE_SPEC = f"synth:{FONTS}?n=4000&lang=en&kind=word&heldout=train"


# ------------------------------------------------------------------------------ shared helpers


def user_font(fonts_dir: Path = FONTS) -> Path | None:
    """A held-out handwriting font with Vietnamese (print-like Pangolin when it is held out), or None."""
    if not fonts_dir.is_dir():
        return None
    _, held = split_fonts(load_fonts(fonts_dir), 0.15, seed=0)  # the split SyntheticSource uses
    viet = [f for f in held if f.vietnamese]
    for f in viet:
        if f.family.lower() == "pangolin":
            return f.path
    return viet[0].path if viet else None


def user_writes(text: str, font: Path, rng: np.random.Generator) -> list[list[tuple[float, float]]]:
    """The synthetic user's pen strokes for `text` (a fresh variation on every call)."""
    return text_to_strokes(text, font, size=48, rng=rng, jitter=1.0)


def user_prompts(langs: tuple[str, ...], seed: int = 0) -> list[str]:
    prompts = [p for lang in langs for p in load_prompts(lang)]
    order = np.random.default_rng(seed).permutation(len(prompts))
    return [prompts[i] for i in order]


def collect(store: UserSampleStore, prompts: list[str], font: Path, rng: np.random.Generator) -> None:
    for p in prompts:
        store.add(user_writes(p, font, rng), p, PEN)


def written_records(prompts: list[str], font: Path, rng: np.random.Generator) -> list[Record]:
    """Held-out prompts the user wrote that never went into the store: a second, larger test set."""
    return [Record(p, image=render_strokes(user_writes(p, font, rng), PEN)) for p in prompts]


@pytest.fixture(scope="session")
def one_thread() -> Iterator[None]:
    """Torch on one thread: on a small, busy machine more threads spin against each other (~40x slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def train_tiny_base(cache_dir: Path) -> Path:
    """A 'tiny' model trained ~2 min on synthetic English words from the training font families.

    Cached: a second call (another test module of the session) reuses the file.
    """
    path = cache_dir / "tiny-base.safetensors"
    if path.exists():
        return path
    codec = CTCCodec()
    source = SyntheticSource(parse_spec(TINY_BASE_SPEC), seed=5, codec=codec)
    pool = [source.get(i) for i in range(len(source))]  # rendered once; epochs reuse the images
    cfg = TrainConfig(
        epochs=4,
        batch_size=32,
        lr=8e-3,
        schedule="constant",
        early_stopping_patience=0,
        seed=1,
        device="cpu",
        samples_per_epoch=8000,
        augment_enabled=False,
    )
    setup = build_training([], [], cfg, variant="tiny", height=32, extra_records=pool)
    final = None
    for ev in Trainer(setup.bundle, setup.train_set, None, cfg, cache_dir / "tiny-run").fit():
        if isinstance(ev, TrainingFinished):
            final = ev.model_path
    assert final is not None
    bundle = load_model(final)
    bundle.metadata = {"name": "tiny-base"}
    save_model(bundle, path)
    return path


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory, one_thread: None) -> Path:
    if user_font() is None:
        pytest.skip(f"{FONTS} with held-out Vietnamese-capable fonts is not present on this machine")
    return train_tiny_base(tmp_path_factory.getbasetemp() / "tiny-base")


# ------------------------------------------------------------------------------ fast tests


def _tiny_file(tmp_path: Path) -> Path:
    return save_model(
        new_bundle("tiny", CTCCodec(), PreprocessConfig(height=32), seed=0), tmp_path / "t.safetensors"
    )


def _wave_store(folder: Path, n: int) -> UserSampleStore:
    store = UserSampleStore(folder)
    for k in range(n):
        pts = [(10.0 + 4 * i, 40.0 + 15 * np.sin(i / 2 + k)) for i in range(25)]
        store.add([pts, [(30.0, 5.0 + k), (30.0, 70.0)]], ["hello", "xin chào", "ok", "Đà Nẵng"][k % 4], 3.0)
    return store


def test_plan_mixes_replay_to_half_and_validates_on_held_out(tmp_path: Path) -> None:
    store = _wave_store(tmp_path / "s", 20)
    n_train, n_val = len(store.records("train")), len(store.records("val"))
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "x.ttf").write_bytes(b"")  # parse_spec only needs the folder to exist
    cfg = PersonalizeConfig(replay_specs=(synth_replay_spec(fonts, n=1000),), user_repeats=3)
    plan = make_plan(_tiny_file(tmp_path), store, cfg, tmp_path / "run")
    assert len(plan.extra_records) == n_train and len(plan.val_records) == n_val
    replay = parse_spec(plan.data[0])
    assert replay.kind == "synth" and replay.weight * 1000 == pytest.approx(n_train)  # as many as the user's
    assert plan.cfg.samples_per_epoch == 2 * 3 * n_train
    assert plan.cfg.freeze_backbone_epochs == 2 and plan.cfg.epochs == 6 and plan.cfg.lr == 5e-4
    val_rows = Path(parse_spec(plan.val[0]).path).read_text("utf-8").splitlines()
    assert len(val_rows) == n_val and all(r.endswith("\tval") for r in val_rows)
    no_replay = make_plan(_tiny_file(tmp_path), store, PersonalizeConfig(user_repeats=3), tmp_path / "run2")
    assert no_replay.data == [] and no_replay.cfg.samples_per_epoch == 3 * n_train


def test_plan_refuses_too_few_samples_and_missing_model(tmp_path: Path) -> None:
    store = _wave_store(tmp_path / "s", 3)
    with pytest.raises(HwrError, match="at least 5 samples"):
        make_plan(_tiny_file(tmp_path), store, PersonalizeConfig(), tmp_path / "run")
    with pytest.raises(HwrError, match="no such model"):
        make_plan(
            tmp_path / "nope.safetensors", _wave_store(tmp_path / "t", 6), PersonalizeConfig(), tmp_path / "r"
        )


def test_fit_and_finish_save_a_scored_model(tmp_path: Path, one_thread: None) -> None:
    store = _wave_store(tmp_path / "s", 10)
    cfg = PersonalizeConfig(epochs=1, freeze_backbone_epochs=1, user_repeats=2, device="cpu")
    plan = make_plan(_tiny_file(tmp_path), store, cfg, tmp_path / "run")
    events = list(fit(plan))
    assert any(isinstance(e, EpochEnd) and e.val_cer is not None for e in events)
    done = events[-1]
    assert isinstance(done, TrainingFinished) and done.reason == "completed"
    assert final_weights(done) == done.checkpoint_path  # the last epoch, not the best on held-out samples
    result = finish(plan, final_weights(done), tmp_path / "models")
    assert result.model_path.parent == tmp_path / "models" and result.model_path.name.startswith(
        "personalised-"
    )
    assert result.val_samples == len(store.records("val"))
    meta = read_metadata(result.model_path)
    assert meta["metrics"]["user_val"]["before_cer"] == pytest.approx(result.before_cer)
    low, high = meta["metrics"]["user_val"]["change_interval_90"]
    assert (low, high) == (result.cer.low, result.cer.high)
    assert low <= result.after_cer - result.before_cer <= high
    assert meta["name"] == result.model_path.stem and meta["personalised_from"] == plan.init
    assert "đ" in load_model(result.model_path).codec.alphabet  # charset kept (or extended), never shrunk
    assert evaluate_on(load_model(result.model_path), plan.val_records) == pytest.approx(result.after_cer)


@pytest.mark.parametrize("frozen", [True, False])
def test_frozen_batchnorm_keeps_the_base_models_statistics(
    tmp_path: Path, one_thread: None, frozen: bool
) -> None:
    store = _wave_store(tmp_path / "s", 10)
    cfg = PersonalizeConfig(
        epochs=1, freeze_backbone_epochs=0, user_repeats=2, device="cpu", freeze_batchnorm=frozen
    )
    plan = make_plan(_tiny_file(tmp_path), store, cfg, tmp_path / "run")
    assert plan.cfg.freeze_batchnorm is frozen
    done = [e for e in fit(plan) if isinstance(e, TrainingFinished)][-1]

    def statistics(path: Path) -> list[torch.Tensor]:
        model = load_model(path).model
        return [m.running_mean.clone() for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]

    before, after = statistics(Path(plan.init)), statistics(final_weights(done))
    assert before and len(before) == len(after)
    same = all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert same is frozen  # trained statistics move towards the user's batches


def test_cli_personalise_scores_and_saves_like_the_teach_tab(
    tmp_path: Path, one_thread: None, capsys
) -> None:  # type: ignore[no-untyped-def]
    from hwr_core.cli import main

    _wave_store(tmp_path / "s", 10)
    base = _tiny_file(tmp_path)
    argv = ["personalise", str(tmp_path / "s"), "--model", str(base), "--epochs", "1", "--freeze-epochs", "1"]
    assert main([*argv, "--out-dir", str(tmp_path / "models")]) == 0
    out, err = capsys.readouterr()
    saved = list((tmp_path / "models").glob("personalised-*.safetensors"))
    assert len(saved) == 1 and str(saved[0]) in out and "epoch 1/1" in err
    assert "held-out CER" in out and "90 % interval" in out
    assert read_metadata(saved[0])["personalised_from"] == str(base)
    assert main(["personalise", str(tmp_path / "empty"), "--model", str(base)]) == 2
    assert "no samples in" in capsys.readouterr().err


def test_a_lower_cer_is_called_better_only_beyond_chance() -> None:
    def result(low: float, high: float) -> PersonalizeResult:
        change = PairedChange(0.3, 0.3 + (low + high) / 2, (low + high) / 2, low, high)
        return PersonalizeResult(Path("m.safetensors"), 15, change)

    assert result(-0.2, -0.01).verdict == "better"
    assert result(-0.2, 0.05).verdict == "no clear difference"  # lower, but within chance
    assert result(0.01, 0.1).verdict == "worse"


def test_evaluate_on_accepts_recognizer_or_bundle(tmp_path: Path) -> None:
    from hwr_core.recognizer import Recognizer

    bundle = new_bundle("tiny", CTCCodec(), PreprocessConfig(height=32), seed=0)
    recs = [Record("ab", image=render_strokes([[(0, 0), (30, 20)]], 3.0))]
    assert evaluate_on(bundle, recs) == evaluate_on(Recognizer(bundle), recs) >= 0.0
    with pytest.raises(HwrError):
        evaluate_on(bundle, [])


# ------------------------------------------------------------------------------ the proof


def _personalise_and_score(
    base: Path, tmp_path: Path, langs: tuple[str, ...], cfg: PersonalizeConfig
) -> tuple[float, float, float, float]:
    font = user_font()
    assert font is not None
    rng = np.random.default_rng(0)
    prompts = user_prompts(langs)
    store = UserSampleStore(tmp_path / "samples")
    collect(store, prompts[:50], font, rng)  # 50 samples: ~40 to learn from, >= 10 held out
    extra = written_records(prompts[50:90], font, rng)  # 40 more held-out prompts, never stored
    plan = make_plan(base, store, cfg, tmp_path / "run")
    events = list(fit(plan))
    assert isinstance(events[-1], TrainingFinished) and events[-1].reason == "completed"
    result = finish(plan, final_weights(events[-1]), tmp_path / "models")
    base_bundle = load_model(base)
    new_bundle_ = load_model(result.model_path)
    extra_before, extra_after = evaluate_on(base_bundle, extra), evaluate_on(new_bundle_, extra)
    print(
        f"\nheld-out samples ({result.val_samples}): CER {result.before_cer:.3f} -> {result.after_cer:.3f}; "
        f"40 more held-out prompts: CER {extra_before:.3f} -> {extra_after:.3f}"
    )
    return result.before_cer, result.after_cer, extra_before, extra_after


@pytest.mark.slow
def test_fifty_samples_of_a_new_hand_help_the_tiny_model(tiny_base: Path, tmp_path: Path) -> None:
    """Tiny base (English words, other fonts); the user writes 50 English prompts in a held-out font."""
    t0 = time.perf_counter()
    replay = (synth_replay_spec(FONTS, lang="en", kind="word", heldout="train"),)
    cfg = PersonalizeConfig(epochs=6, freeze_backbone_epochs=2, lr=2e-3, replay_specs=replay, device="cpu")
    before, after, extra_before, extra_after = _personalise_and_score(tiny_base, tmp_path, ("en",), cfg)
    print(f"personalisation took {time.perf_counter() - t0:.0f} s")
    assert before < 0.95  # the base reads something: improving on noise would prove little
    # 15 held-out samples move a CER by points either way (the tool's own interval says so: -10.4 to
    # +0.9 points for 0.331 -> 0.288 in session 58, when a base trained on 1-3 % other inputs read
    # the hand at 0.331, not 0.458): lower there; at least 5 points lower on the 40 more prompts
    assert after < before
    assert extra_after < extra_before - 0.05


@pytest.mark.slow
@pytest.mark.skipif(
    not SHIPPED.exists(), reason=f"the shipped model {SHIPPED} is not there yet (still training)"
)
def test_fifty_samples_of_a_new_hand_help_the_shipped_model(tmp_path: Path, one_thread: None) -> None:
    """The shipped model, default settings; the user writes English and Vietnamese prompts."""
    if user_font() is None:
        pytest.skip(f"{FONTS} with held-out Vietnamese-capable fonts is not present on this machine")
    cfg = PersonalizeConfig(replay_specs=(synth_replay_spec(FONTS, heldout="train"),), device="cpu")
    before, after, extra_before, extra_after = _personalise_and_score(SHIPPED, tmp_path, ("en", "vi"), cfg)
    assert after < before
    assert extra_after < extra_before
