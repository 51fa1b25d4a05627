import json
import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from testdata import FONTS, needs_fonts, write_word_set

from hwr_core.averaging import average_models, share_batchnorm_statistics
from hwr_core.batchnorm import recalibrate_on_mixture
from hwr_core.config import TrainConfig
from hwr_core.data.builder import build_training
from hwr_core.data.synth import load_fonts, split_fonts
from hwr_core.errors import HwrError, ModelFileError, TrainingError
from hwr_core.modelfile import INT8_CALIBRATION_KEY, load_checkpoint, load_model, save_checkpoint, save_model
from hwr_core.quantization import stored_ranges
from hwr_core.training import BatchEnd, CheckpointSaved, EpochEnd, Trainer, TrainingFinished, amp_supported

REPO = Path(__file__).resolve().parents[2]


def _setup(tmp_path, **cfg_kwargs):
    tsv = write_word_set(tmp_path / "data")
    cfg = TrainConfig(
        **{"epochs": 2, "batch_size": 8, "lr": 3e-3, "seed": 7, "augment_enabled": False, **cfg_kwargs}
    )
    return build_training([str(tsv)], None, cfg, variant="tiny"), cfg


def test_build_training_splits_train_and_val(tmp_path):
    setup, _ = _setup(tmp_path)
    assert len(setup.val_set) == 12
    assert sum(len(s) for s, _ in setup.train_set.sources) == 36
    assert any("usable" in line for line in setup.report_lines())


def test_a_share_of_a_labelled_sets_images_is_drawn_as_canvas_strokes(tmp_path):
    # `?strokes=0.5`: half the samples are the image's ink traced and drawn again with the app's
    # reading pen (what a word written on the canvas looks like), the same ones every time for a
    # given seed, epoch and index, others the next epoch; the rest, and validation, are the images
    # as stored.
    tsv = write_word_set(tmp_path / "data")
    cfg = TrainConfig(epochs=1, batch_size=8, seed=7, augment_enabled=False)
    plain = build_training([str(tsv)], None, cfg, variant="tiny")
    drawn = build_training([f"{tsv}?strokes=0.5"], None, cfg, variant="tiny")
    source, stored = drawn.train_set.sources[0][0], plain.train_set.sources[0][0]

    def traced(epoch: int) -> list[int]:
        out = []
        for i in range(len(source)):
            (image, text), (original, same_text) = source.get(i, epoch), stored.get(i, epoch)
            assert text == same_text
            if image.shape != original.shape or (image != original).any():
                out.append(i)
                assert (source.get(i, epoch)[0] == image).all()  # deterministic
                assert image.min() < 64 and image.max() == 255  # dark ink on white, as the canvas draws
        return out

    first = traced(0)
    assert 0.2 * len(source) < len(first) < 0.8 * len(source)
    assert traced(1) != first
    val_drawn, val_plain = next(drawn.val_set.batches(64)), next(plain.val_set.batches(64))
    assert all((a.image == b.image).all() for a, b in zip(val_drawn, val_plain, strict=True))
    with pytest.raises(HwrError, match="strokes"):
        build_training([f"{tsv}?strokes=2"], None, cfg, variant="tiny")


@needs_fonts
def test_synthetic_training_never_draws_the_fonts_validated_on(tmp_path):
    cfg = TrainConfig(epochs=1, batch_size=8, seed=7)
    spec = f"synth:{FONTS}?n=20&lang=en&kind=word"
    setup = build_training([spec], [spec], cfg, variant="tiny")
    trained = {f.family for f in setup.train_set.sources[0][0].source.fonts}
    train_fonts, held_fonts = split_fonts(load_fonts(FONTS), 0.15, seed=0)
    assert trained == {f.family for f in train_fonts}
    assert trained.isdisjoint(f.family for f in held_fonts)
    assert [s.split for s in setup.train_specs] == ["train"] and [s.split for s in setup.val_specs] == ["val"]


def test_one_batch_step_changes_weights_and_reports(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=1)
    before = [p.detach().clone() for p in setup.bundle.model.parameters()]
    trainer = Trainer(setup.bundle, setup.train_set, None, cfg, tmp_path / "run")
    ev = next(iter(trainer.fit()))
    assert isinstance(ev, BatchEnd) and ev.step == 1 and ev.loss > 0
    changed = sum(not torch.equal(a, b) for a, b in zip(before, setup.bundle.model.parameters(), strict=True))
    assert changed > 0


def test_few_step_fit_loss_falls(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=6, lr=5e-3, schedule="constant", early_stopping_patience=0)
    trainer = Trainer(setup.bundle, setup.train_set, setup.val_set, cfg, tmp_path / "run")
    events = list(trainer.fit())
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert len(epochs) == 6
    assert epochs[-1].train_loss < 0.7 * epochs[0].train_loss
    finished = events[-1]
    assert isinstance(finished, TrainingFinished) and finished.reason == "completed"
    assert finished.model_path is not None
    final = load_model(finished.model_path)
    assert final.codec == setup.bundle.codec
    assert stored_ranges(final) is not None  # the 8-bit engine's ranges, measured on the final weights
    history = [json.loads(line) for line in (tmp_path / "run" / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == list(range(6))


@pytest.mark.skipif(not amp_supported(torch.device("cpu")), reason="this CPU has no native bfloat16")
def test_cpu_bf16_autocast_trains_and_saves_float32(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=6, lr=5e-3, schedule="constant", early_stopping_patience=0, amp=True)
    events = list(Trainer(setup.bundle, setup.train_set, setup.val_set, cfg, tmp_path / "run").fit())
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert epochs[-1].train_loss < 0.7 * epochs[0].train_loss
    saved = load_model(events[-1].model_path)
    assert {p.dtype for p in saved.model.parameters()} == {torch.float32}  # master weights stay fp32


def test_amp_falls_back_to_float32_where_unsupported(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    assert not amp_supported(torch.device("cpu"))
    setup, cfg = _setup(tmp_path, epochs=1, amp=True)
    with caplog.at_level("WARNING"):
        ev = next(iter(Trainer(setup.bundle, setup.train_set, None, cfg, tmp_path / "run").fit()))
    assert isinstance(ev, BatchEnd) and ev.loss > 0
    assert "training in float32" in caplog.text


def test_validation_cer_per_source(tmp_path):
    tsvs = [
        str(write_word_set(tmp_path / name, n=24, seed=seed)) for seed, name in enumerate(("words", "more"))
    ]
    cfg = TrainConfig(epochs=1, batch_size=8, seed=7, augment_enabled=False)
    setup = build_training(tsvs, None, cfg, variant="tiny")
    events = list(Trainer(setup.bundle, setup.train_set, setup.val_set, cfg, tmp_path / "run").fit())
    epoch = next(e for e in events if isinstance(e, EpochEnd))
    assert set(epoch.val_cer_by_source) == {"words", "more"}
    assert all(0.0 <= v for v in epoch.val_cer_by_source.values())
    history = json.loads((tmp_path / "run" / "history.jsonl").read_text().splitlines()[0])
    assert history["val_cer_by_source"] == epoch.val_cer_by_source
    best = load_model(tmp_path / "run" / "best.safetensors")
    assert best.metadata["metrics"]["val"]["val_cer_by_source"] == epoch.val_cer_by_source


def _bn_means(model: torch.nn.Module) -> list[torch.Tensor]:
    return [m.running_mean.clone() for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]


@pytest.mark.parametrize("recalibrate", [0, 3])
def test_validation_uses_recalibrated_batchnorm_when_asked(tmp_path, recalibrate):
    setup, cfg = _setup(tmp_path, epochs=1, bn_recalibrate_batches=recalibrate)
    list(Trainer(setup.bundle, setup.train_set, setup.val_set, cfg, tmp_path / "run").fit())
    best = load_model(tmp_path / "run" / "best.safetensors")
    shipped = _bn_means(best.model)
    # Recalibrating again over the same fixed draw of batches reproduces the statistics only if the
    # trainer already did it before validating (and saved them with the best weights).
    assert recalibrate_on_mixture(best.model, setup.train_set, 3) == 3
    same = all(torch.allclose(a, b, atol=1e-5) for a, b in zip(shipped, _bn_means(best.model), strict=True))
    assert same == bool(recalibrate)


def test_stop_then_resume_matches_uninterrupted_run(tmp_path):
    """A run stopped mid-epoch and resumed ends with the same weights as one never stopped."""
    setup_a, cfg = _setup(tmp_path / "a", epochs=2)
    full = Trainer(setup_a.bundle, setup_a.train_set, None, cfg, tmp_path / "full")
    for _ in full.fit():
        pass

    setup_b, _ = _setup(tmp_path / "b", epochs=2)
    batches = 0

    def stop_after_three() -> bool:
        return batches >= 3

    first = Trainer(setup_b.bundle, setup_b.train_set, None, cfg, tmp_path / "resumed")
    for ev in first.fit(stop_after_three):
        batches += isinstance(ev, BatchEnd)
    assert isinstance(ev, TrainingFinished) and ev.reason == "stopped"
    _, state = load_checkpoint(tmp_path / "resumed" / "last.ckpt.safetensors")
    assert state.progress["batch"] == 3 and state.progress["epoch"] == 0
    assert state.progress["epoch_seconds"] > 0
    # Pretend the first 3 batches took 1000 s: the resumed epoch's wall time must include them.
    ckpt_bundle, state = load_checkpoint(tmp_path / "resumed" / "last.ckpt.safetensors")
    state.progress["epoch_seconds"] = 1000.0
    save_checkpoint(ckpt_bundle, state, tmp_path / "resumed" / "last.ckpt.safetensors")

    setup_c, _ = _setup(tmp_path / "c", epochs=2)
    second = Trainer(setup_c.bundle, setup_c.train_set, None, cfg, tmp_path / "resumed", resume=True)
    events = list(second.fit())
    first_batch = next(e for e in events if isinstance(e, BatchEnd))
    assert first_batch.step == 4 and first_batch.batch == 4
    resumed_epoch = next(e for e in events if isinstance(e, EpochEnd))
    assert 1000 <= resumed_epoch.seconds < 1100
    for a, b in zip(
        setup_a.bundle.model.state_dict().values(), setup_c.bundle.model.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_batches_loaded_ahead_train_the_same_weights_as_loaded_in_turn(tmp_path):
    """The next batch loads on a worker thread while one trains (`TrainConfig.prefetch`), or several
    batches ahead in processes (`loader_workers`): with augmentation on, a batch loaded out of turn,
    or twice, would train other weights."""
    weights = []
    ways = {"in-turn": {"prefetch": False}, "thread": {}, "processes": {"loader_workers": 2}}
    for name, way in ways.items():
        setup, cfg = _setup(tmp_path / name, epochs=2, augment_enabled=True, **way)
        for _ in Trainer(setup.bundle, setup.train_set, None, cfg, tmp_path / f"run-{name}").fit():
            pass
        weights.append(setup.bundle.model.state_dict())
    for other in weights[1:]:
        for key in weights[0]:
            assert torch.equal(weights[0][key], other[key]), key


def test_a_batch_that_fails_to_load_ahead_stops_the_run_with_its_error(tmp_path, monkeypatch):
    setup, cfg = _setup(tmp_path, epochs=1)
    load = setup.train_set.load_batch
    calls = []

    def fail_on_the_third(source_index, indices, epoch):
        calls.append(threading.current_thread().name)
        if len(calls) == 3:
            raise OSError("disk gone")
        return load(source_index, indices, epoch)

    monkeypatch.setattr(setup.train_set, "load_batch", fail_on_the_third)
    trainer = Trainer(setup.bundle, setup.train_set, None, cfg, tmp_path / "run")
    steps = 0
    with pytest.raises(OSError, match="disk gone"):
        for ev in trainer.fit():
            steps += isinstance(ev, BatchEnd)
    assert steps == 2 and all(name.startswith("hwr-batches") for name in calls)
    assert not any(t.name.startswith("hwr-batches") for t in threading.enumerate())


def test_nan_losses_are_skipped_then_stop_with_checkpoint(tmp_path, monkeypatch):
    setup, cfg = _setup(tmp_path, epochs=1, max_nan_batches=3)
    trainer = Trainer(setup.bundle, setup.train_set, None, cfg, tmp_path / "run")
    import hwr_core.training as training

    real = training.F.ctc_loss
    monkeypatch.setattr(training.F, "ctc_loss", lambda *a, **k: real(*a, **k) * float("nan"))
    seen = []
    with pytest.raises(TrainingError, match="non-finite"):
        for ev in trainer.fit():
            seen.append(ev)
    assert sum(isinstance(e, BatchEnd) and e.skipped for e in seen) == 3
    assert any(isinstance(e, CheckpointSaved) and e.reason == "nan" for e in seen)
    for p in setup.bundle.model.parameters():
        assert torch.isfinite(p).all()
    load_checkpoint(tmp_path / "run" / "last.ckpt.safetensors")


def test_unwritable_output_fails_before_training(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=1)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    trainer = Trainer(setup.bundle, setup.train_set, None, cfg, blocker / "run")
    with pytest.raises(TrainingError, match="cannot write"):
        next(iter(trainer.fit()))


def test_frozen_batchnorm_statistics_stay_those_of_the_start(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=2, freeze_batchnorm=True, keep_epoch_weights=True)
    start = _bn_means(setup.bundle.model)
    weights = [p.detach().clone() for p in setup.bundle.model.parameters()]
    list(Trainer(setup.bundle, setup.train_set, setup.val_set, cfg, tmp_path / "run").fit())
    best = load_model(tmp_path / "run" / "best.safetensors")
    assert all(torch.equal(a, b) for a, b in zip(start, _bn_means(best.model), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(weights, best.model.parameters(), strict=True))
    # so the epochs' mean can keep them (training/ship_default.py --no-recalibrate)
    assert share_batchnorm_statistics(sorted((tmp_path / "run" / "epochs").glob("*.safetensors")))
    with pytest.raises(TrainingError, match="--freeze-batchnorm and --bn-recalibrate"):
        Trainer(setup.bundle, setup.train_set, None, replace(cfg, bn_recalibrate_batches=2), tmp_path / "x")


def test_freeze_backbone_phase(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=1, freeze_backbone_epochs=1)
    before = {k: v.clone() for k, v in setup.bundle.model.backbone.state_dict().items()}
    for _ in Trainer(setup.bundle, setup.train_set, None, cfg, tmp_path / "run").fit():
        pass
    for k, v in setup.bundle.model.backbone.state_dict().items():
        assert torch.equal(v, before[k]), k


# `hwr train` under torchrun, reporting afterwards whether the rank left its process group open:
# one left open can abort the rank at exit (SIGABRT), which failed CI once after a finished run.
_TRAIN_THEN_REPORT_GROUP = """
import sys
import torch.distributed as dist
from hwr_core.cli import main
rc = main(sys.argv[1:])
print(f"process group left open: {dist.is_initialized()}", file=sys.stderr)
sys.exit(rc)
"""


def test_ddp_two_processes_gloo(tmp_path):
    """torchrun-style DDP on CPU: 2 ranks, gloo; rank 0 writes the model, and both ranks agree."""
    tsv = write_word_set(tmp_path / "data")
    script = tmp_path / "train_then_report.py"
    script.write_text(_TRAIN_THEN_REPORT_GROUP)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
        str(script), "train", "--data", str(tsv), "--out", str(tmp_path / "run"),
        "--variant", "tiny", "--epochs", "1", "--batch-size", "4", "--device", "cpu", "--quiet", "--no-augment",
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr.count("process group left open: False") == 2, proc.stderr[-2000:]
    bundle = load_model(tmp_path / "run" / "model.safetensors")
    assert bundle.metadata["training"]["steps"] == 36 // 4 // 2  # each rank took half the batches


def test_the_final_models_8_bit_ranges_can_be_left_unmeasured(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=1, int8_calibration_batches=0)
    finished = list(Trainer(setup.bundle, setup.train_set, None, cfg, tmp_path / "run").fit())[-1]
    assert INT8_CALIBRATION_KEY not in load_model(finished.model_path).metadata


def test_keep_epoch_weights_saves_each_epoch_for_averaging(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=2, keep_epoch_weights=True)
    list(Trainer(setup.bundle, setup.train_set, setup.val_set, cfg, tmp_path / "run").fit())
    epochs = sorted((tmp_path / "run" / "epochs").glob("*.safetensors"))
    assert [p.name for p in epochs] == ["epoch-001.safetensors", "epoch-002.safetensors"]
    first, second = (load_model(p) for p in epochs)
    assert first.metadata["training"]["epochs_done"] == 1
    assert second.metadata["training"]["epochs_done"] == 2
    assert first.metadata["metrics"]["val"]["val_cer"] == second.metadata["training"]["history"][0]["val_cer"]
    w1, w2 = (b.model.state_dict() for b in (first, second))
    assert any(not torch.equal(w1[k], w2[k]) for k in w1)  # weights moved between epochs
    assert not share_batchnorm_statistics(epochs)  # nor are they frozen: the mean needs its own

    mean = average_models(epochs)
    assert "metrics" not in mean.metadata  # the last epoch's figures do not describe the mean
    assert mean.metadata["averaged_from"] == [
        {"file": str(p), "epochs_done": n} for p, n in zip(epochs, (1, 2), strict=True)
    ]
    for k, v in mean.model.state_dict().items():
        if v.is_floating_point():
            assert torch.allclose(v, (w1[k] + w2[k]) / 2, atol=1e-6), k
        else:
            assert torch.equal(v, w2[k]), k
    # a fine-tune from the mean records which epochs its starting weights averaged (model card)
    save_model(mean, tmp_path / "mean.safetensors")
    tuned = build_training(
        [str(tmp_path / "data" / "labels.tsv")], None, cfg, init=str(tmp_path / "mean.safetensors")
    )
    assert tuned.bundle.metadata["init_training"]["averaged_from"] == mean.metadata["averaged_from"]


def test_fine_tuning_keeps_the_lineage_of_its_starting_weights(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=1)
    list(Trainer(setup.bundle, setup.train_set, setup.val_set, cfg, tmp_path / "first").fit())
    start = tmp_path / "first" / "best.safetensors"
    tuned = build_training([str(tmp_path / "data" / "labels.tsv")], None, cfg, init=str(start)).bundle
    assert tuned.metadata["init_from"] == str(start)
    assert tuned.metadata["init_training"] == load_model(start).metadata["training"]
    list(Trainer(tuned, setup.train_set, setup.val_set, cfg, tmp_path / "second").fit())
    second = load_model(tmp_path / "second" / "best.safetensors").metadata
    assert second["init_training"]["epochs_done"] == 1 and second["training"]["epochs_done"] == 1


def test_width_scale_for_a_new_model_and_when_fine_tuning(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=1)
    assert setup.bundle.preprocess.width_scale == 1.0
    tsv = str(tmp_path / "data" / "labels.tsv")
    wide = build_training([tsv], None, cfg, variant="tiny", width_scale=1.5)
    assert wide.bundle.preprocess.width_scale == 1.5
    assert wide.train_set.preprocess_cfg == wide.bundle.preprocess  # training sees the stretch too
    list(Trainer(setup.bundle, setup.train_set, setup.val_set, cfg, tmp_path / "first").fit())
    start = tmp_path / "first" / "best.safetensors"
    assert build_training([tsv], None, cfg, init=str(start)).bundle.preprocess.width_scale == 1.0
    tuned = build_training([tsv], None, cfg, init=str(start), width_scale=1.25).bundle
    assert tuned.preprocess.width_scale == 1.25
    save_model(tuned, tmp_path / "tuned.safetensors")
    assert load_model(tmp_path / "tuned.safetensors").preprocess.width_scale == 1.25
    with pytest.raises(HwrError, match="width scale 0 is out of range"):
        build_training([tsv], None, cfg, variant="tiny", width_scale=0)
    with pytest.raises(HwrError, match="input height 4 is out of range"):  # before any data is read
        build_training([tsv], None, cfg, variant="tiny", height=4)


def test_averaging_refuses_models_of_another_shape(tmp_path):
    setup, cfg = _setup(tmp_path, epochs=1)
    list(Trainer(setup.bundle, setup.train_set, setup.val_set, cfg, tmp_path / "run").fit())
    other = build_training([str(write_word_set(tmp_path / "data2"))], None, cfg, variant="small").bundle
    save_model(other, tmp_path / "other.safetensors")
    with pytest.raises(ModelFileError, match="another architecture, charset or preprocessing"):
        average_models([tmp_path / "run" / "best.safetensors", tmp_path / "other.safetensors"])
    with pytest.raises(ModelFileError, match="at least one"):
        average_models([])
