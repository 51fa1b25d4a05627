import importlib.metadata
import json
import math
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from testdata import FONTS, SHIPPED_MODEL, needs_fonts, word_image, write_word_set

from hwr_core.charlm import CharLM
from hwr_core.charset import CTCCodec
from hwr_core.cli import main
from hwr_core.config import DEFAULT_LM_CHAR_BONUS, DEFAULT_LM_WEIGHT, DecodeConfig
from hwr_core.environment import READING_LIBRARIES
from hwr_core.metrics import word_changes
from hwr_core.modelfile import load_model, new_bundle, save_model
from hwr_core.quantization import stored_ranges
from hwr_core.userdata import UserSampleStore


@pytest.fixture
def model_file(tmp_path):
    return save_model(new_bundle("tiny", CTCCodec()), tmp_path / "m.safetensors")


@pytest.fixture
def image_file(tmp_path):
    path = tmp_path / "word.png"
    cv2.imwrite(str(path), word_image("cat"))
    return path


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_for_every_command(capsys):
    for cmd in ("recognize", "eval", "train", "personalise", "teach", "export", "average", "charlm", "info"):
        with pytest.raises(SystemExit) as e:
            main([cmd, "--help"])
        assert e.value.code == 0
        assert "usage: hwr" in capsys.readouterr().out


def test_recognize_plain_and_json(capsys, model_file, image_file):
    code, out, _ = _run(capsys, "recognize", image_file, "--model", model_file)
    assert code == 0 and len(out.splitlines()) == 1
    code, out, _ = _run(capsys, "recognize", image_file, "--model", model_file, "--json", "--beam", "4")
    obj = json.loads(out)
    assert code == 0 and {"text", "confidence", "n_best", "chars"} <= obj.keys()
    assert all({"char", "start", "end", "confidence"} <= c.keys() for c in obj["chars"])
    best = obj["n_best"][0]["text"]  # each alternative says what it changes in the best reading
    assert obj["n_best"][0]["changes"] == []
    assert all(e["changes"] == [list(c) for c in word_changes(best, e["text"])] for e in obj["n_best"])


def test_recognize_refuses_a_bad_strokes_file_and_reads_the_rest(capsys, tmp_path, model_file, image_file):
    no_strokes = tmp_path / "no_strokes.json"
    no_strokes.write_text('{"text": "cat"}', encoding="utf-8")
    bad_point = tmp_path / "bad_point.json"
    bad_point.write_text('[[[10, 20], ["a", 1]]]', encoding="utf-8")
    not_json = tmp_path / "not.json"
    not_json.write_text("[[", encoding="utf-8")
    code, out, err = _run(
        capsys, "recognize", no_strokes, bad_point, not_json, image_file, "--model", model_file
    )
    assert code != 0 and len(out.splitlines()) == 1  # the image was still read
    assert f"{no_strokes}: not a strokes file" in err
    assert f"{bad_point}: a stroke point must have numbers x and y" in err
    assert f"{not_json}: cannot read strokes" in err


def test_decoding_follows_the_model_file_unless_overridden(capsys, tmp_path):
    bundle = new_bundle("tiny", CTCCodec())
    bundle.decode = DecodeConfig(decoder="beam", beam_width=6, lexicon="builtin", lexicon_weight=1.5)
    model = save_model(bundle, tmp_path / "m.safetensors")
    tsv = write_word_set(tmp_path / "d", n=4)

    def decoding(*extra):
        code, out, _ = _run(capsys, "eval", "--data", tsv, "--model", model, "--json", *extra)
        assert code == 0
        return json.loads(out)["decoding"]

    assert decoding() == "beam 6 + word list builtin (bonus 1.5)"
    assert decoding("--greedy") == "greedy"
    assert decoding("--lexicon", "none") == "beam 6"
    assert decoding("--beam", "3", "--lexicon-weight", "4") == "beam 3 + word list builtin (bonus 4)"
    words = tmp_path / "words.txt"
    words.write_text("cat\n", encoding="utf-8")
    assert decoding("--lexicon", words) == f"beam 6 + word list {words} (bonus 1.5)"
    assert decoding("--lang", "en") == "beam 6 + word list builtin (bonus 1.5), English only"
    assert decoding("--lang", "en+vi") == "beam 6 + word list builtin (bonus 1.5)"


def test_charlm_builds_a_model_that_recognize_and_eval_use(capsys, tmp_path, model_file, image_file):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat\nthe cat ran\n", encoding="utf-8")
    tsv = write_word_set(tmp_path / "d", n=6)
    iam = tmp_path / "iam.txt"
    iam.write_text("it 's here , he said .\n", encoding="utf-8")
    lm = tmp_path / "m.charlm"
    code, out, err = _run(
        capsys, "charlm", corpus, f"{tsv}?split=train", "--untokenize", iam, "--order", "4", "--out", lm
    )
    assert code == 0 and "order 4" in out, err
    built = CharLM.load(lm)
    assert built.info["texts"] == 2 + 4 + 1 and built.score("it's here,") > built.score("it 's here ,")
    code, out, _ = _run(capsys, "eval", "--data", tsv, "--model", model_file, "--json", "--lm", lm)
    assert (
        code == 0
        and json.loads(out)["decoding"]
        == f"beam 8 + character model {lm} (weight {DEFAULT_LM_WEIGHT:g}, bonus {DEFAULT_LM_CHAR_BONUS:g})"
    )
    code, out, _ = _run(
        capsys, "recognize", image_file, "--model", model_file, "--lm", lm, "--lm-weight", "1"
    )
    assert code == 0 and len(out.splitlines()) == 1
    # A file that is not a character model: one line, exit 2, before any image is read.
    code, out, err = _run(capsys, "recognize", image_file, "--model", model_file, "--lm", corpus)
    assert code == 2 and out == "" and err.count("\n") == 1 and "not a character model" in err


@pytest.mark.parametrize(
    ("flag", "source", "texts"),
    [
        ("--numbers", "2000 generated numbers", ("3.14", "7:30", "$4.99", "12/3")),
        ("--quoted", "2000 words of the word lists in quotation marks", ("'cat'", '"mèo"', "'Event'")),
    ],
)
def test_charlm_generated_text_teaches_what_the_corpus_lacks(capsys, tmp_path, flag, source, texts):
    # numbers: decimals and times; quoted words: a text that begins or ends with a quote
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(
        "số 12 đường 3 tháng 2\nroom 4 at 10 am\nthe cat sat\nmột con mèo\n" * 10, encoding="utf-8"
    )
    plain, extended = tmp_path / "plain.charlm", tmp_path / "extended.charlm"
    assert _run(capsys, "charlm", corpus, "--out", plain)[0] == 0
    code, out, _ = _run(capsys, "charlm", corpus, flag, "2000", "--out", extended)
    assert code == 0 and "2040 texts" in out
    before, after = CharLM.load(plain), CharLM.load(extended)
    assert source in after.info["sources"][-1]
    for text in texts:
        assert after.score(text) > before.score(text) + 2, text


def test_recognize_reads_a_page_line_by_line_unless_told_one_line(capsys, tmp_path, model_file, monkeypatch):
    # an untrained model's confidences say nothing: never let them prefer the page read whole
    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)
    words = [word_image(w) for w in ("cat", "sun", "dog")]
    width = max(w.shape[1] for w in words)
    page = np.vstack([np.pad(w, ((8, 8), (0, width - w.shape[1])), constant_values=255) for w in words])
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), page)
    code, out, _ = _run(capsys, "recognize", path, "--model", model_file, "--json")
    obj = json.loads(out)
    assert code == 0 and len(obj["lines"]) == 3
    assert obj["text"] == "\n".join(line["text"] for line in obj["lines"])
    assert all({"text", "chars", "n_best", "timesteps"} <= line.keys() for line in obj["lines"])
    code, out, _ = _run(capsys, "recognize", path, "--model", model_file, "--lines")  # the default, said
    assert code == 0 and out == obj["text"] + "\n"
    # several files: a row per line read, each naming its file
    cv2.imwrite(str(tmp_path / "word.png"), words[0])
    code, out, _ = _run(capsys, "recognize", path, tmp_path / "word.png", "--model", model_file)
    rows = [row.split("\t") for row in out.splitlines()]
    assert code == 0 and [p for p, _ in rows] == [str(path)] * 3 + [str(tmp_path / "word.png")]
    assert [t for _, t in rows[:3]] == [line["text"] for line in obj["lines"]]
    code, out, _ = _run(capsys, "recognize", path, "--model", model_file, "--one-line", "--json")
    assert code == 0 and "lines" not in json.loads(out)  # read whole, as hwr eval reads


def test_teach_keeps_each_line_read_with_its_line_of_text(capsys, tmp_path, model_file, monkeypatch):
    monkeypatch.setattr("hwr_core.recognizer.WHOLE_READING_MARGIN", -math.inf)  # as above: read by lines
    words = [word_image(w) for w in ("cat", "sun", "dog")]
    width = max(w.shape[1] for w in words)
    page = np.vstack([np.pad(w, ((8, 8), (0, width - w.shape[1])), constant_values=255) for w in words])
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), page)
    folder = tmp_path / "samples"
    code, _, err = _run(capsys, "teach", path, "cat\\nsun", "--model", model_file, "--samples", folder)
    assert code == 2 and "read as 3 lines but the text has 2" in err and not (folder / "labels.tsv").exists()
    code, out, _ = _run(capsys, "teach", path, "cat\n\ndog", "--model", model_file, "--samples", folder)
    assert code == 0 and out.count("kept") == 2  # the empty line skips "sun"
    store = UserSampleStore(folder)
    assert [s.text for s in store.samples()] == ["cat", "dog"] and not any(s.drawn for s in store.samples())
    kept = [cv2.imread(str(s.image_path), cv2.IMREAD_GRAYSCALE) for s in store.samples()]
    assert [k.shape[0] < page.shape[0] / 2 for k in kept] == [True, True]  # lines, not the page
    code, _, err = _run(capsys, "teach", path, "cat\n\ndog", "--model", model_file, "--samples", folder)
    assert code == 2 and err.count("already stored") == 2 and len(UserSampleStore(folder)) == 2


def test_teach_from_a_labels_file_keeps_each_image_with_its_text(capsys, tmp_path):
    tsv = write_word_set(tmp_path / "mine", n=6)
    with tsv.open("a", encoding="utf-8") as f:
        f.write("images/missing.png\tgone\ttrain\n")  # said, not fatal
    folder = tmp_path / "samples"
    code, out, err = _run(capsys, "teach", "--from", tsv, "--samples", folder)
    assert code == 0 and out.count("kept") == 6 and "1 row of" in err and "missing.png" in err
    store = UserSampleStore(folder)
    rows = [line.split("\t")[:2] for line in tsv.read_text("utf-8").splitlines()[:6]]
    assert sorted(s.text for s in store.samples()) == sorted(text for _, text in rows)
    assert {s.source for s in store.samples()} == {path.split("/")[1] for path, _ in rows}
    code, _, err = _run(capsys, "teach", "--from", tsv, "--samples", folder)
    assert code == 2 and err.count("already stored") == 6 and len(UserSampleStore(folder)) == 6
    code, _, err = _run(capsys, "teach", "--from", tmp_path / "none.tsv", "--samples", tmp_path / "s2")
    assert code == 2 and "no such file" in err and not (tmp_path / "s2").exists()  # no folder for nothing
    for argv in (("teach", "--samples", folder), ("teach", tsv, "word", "--from", tsv)):
        code, _, err = _run(capsys, *argv)
        assert code == 2 and "an image and its text, or --from" in err


def test_recognize_rotate_and_region_read_what_the_app_would(capsys, tmp_path, model_file, image_file):
    upright = cv2.imread(str(image_file), cv2.IMREAD_GRAYSCALE)
    sideways = tmp_path / "sideways.png"
    cv2.imwrite(str(sideways), cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE))
    _, expected, _ = _run(capsys, "recognize", image_file, "--model", model_file, "--json")
    _, turned, _ = _run(capsys, "recognize", sideways, "--model", model_file, "--json", "--rotate", "90")
    _, unturned, _ = _run(capsys, "recognize", sideways, "--model", model_file, "--json")
    assert (
        json.loads(turned)["timesteps"]
        == json.loads(expected)["timesteps"]
        != json.loads(unturned)["timesteps"]
    )
    page = np.vstack([upright, np.full((40, upright.shape[1]), 255, np.uint8), upright[:, ::-1]])
    cv2.imwrite(str(tmp_path / "page.png"), page)
    h, w = upright.shape
    _, boxed, _ = _run(
        capsys,
        "recognize",
        tmp_path / "page.png",
        "--model",
        model_file,
        "--json",
        "--region",
        f"0,0,{w},{h}",
    )
    assert (
        json.loads(boxed)["timesteps"] == json.loads(expected)["timesteps"]
    )  # the box holds the upright word
    code, _, err = _run(
        capsys, "recognize", tmp_path / "page.png", "--model", model_file, "--region", f"{w},0,{w + 9},5"
    )
    assert code == 2 and "holds nothing" in err


@needs_fonts
def test_eval_reads_synthetic_samples_drawn_from_their_seed(capsys, model_file):
    """`hwr eval` on a synth: spec reads the samples its seed draws (`accuracy.py`'s synthetic row is
    `heldout=heldout&seed=99`): the same figures twice, others from another seed, --limit the first N."""
    from hwr_core.data.spec import parse_spec
    from hwr_core.data.synth import SyntheticSource

    def figures(*argv):
        code, out, _ = _run(capsys, "eval", "--model", model_file, "--json", "--greedy", "--data", *argv)
        assert code == 0
        obj = json.loads(out)
        return obj["n"], obj["cer"], obj["worst_chars"]

    spec = f"synth:{FONTS}?n=6&lang=en&kind=word&heldout=heldout"
    first = figures(f"{spec}&seed=5")
    assert first[0] == 6 and first == figures(f"{spec}&seed=5")
    assert figures(f"{spec}&seed=6") != first
    assert figures(f"{spec}&seed=5", "--limit", "2")[0] == 2
    texts = [SyntheticSource(parse_spec(f"{spec}&seed=5")).get(i, 0).text for i in range(6)]
    assert sum(len(t) for t in texts) > 6  # words, not empty samples


def test_eval_json_keys(capsys, tmp_path, model_file):
    tsv = write_word_set(tmp_path / "d", n=8)
    code, out, _ = _run(capsys, "eval", "--data", tsv, "--split", "val", "--model", model_file, "--json")
    obj = json.loads(out)
    assert code == 0
    assert {"cer", "wer", "accuracy", "n", "latency_ms_p50"} <= obj.keys() and obj["n"] == 2
    # the libraries a figure was read with: another OpenCV moves CER by hundredths of a point
    assert obj["environment"]["opencv-python-headless"] == importlib.metadata.version(
        "opencv-python-headless"
    )
    assert obj["environment"].keys() == set(READING_LIBRARIES)


@pytest.mark.parametrize("model", ["tiny", "shipped"])
def test_eval_writes_the_samples_it_misread_worst_first(capsys, tmp_path, model_file, model):
    if model == "shipped" and not SHIPPED_MODEL.is_file():
        pytest.skip(f"no shipped model at {SHIPPED_MODEL}")
    tsv = write_word_set(tmp_path / "d", n=24, val_every=1)
    chosen = model_file if model == "tiny" else SHIPPED_MODEL
    misread = tmp_path / "misread.tsv"
    code, out, err = _run(capsys, "eval", "--data", tsv, "--model", chosen, "--json", "--misread", misread)
    summary = json.loads(out)
    header, *rows = misread.read_text("utf-8").splitlines()
    assert code == 0 and header == "path\ttext\tread\tcer" and f"{len(rows)} sample(s) misread" in err
    assert len(rows) == round(summary["n"] * (1 - summary["accuracy"]))  # exactly those read wrong
    labels = dict(line.split("\t")[:2] for line in tsv.read_text("utf-8").splitlines())
    cers = []
    for row in rows:
        path, text, read, rate = row.split("\t")
        assert read != text and labels[str(Path(path).relative_to(tsv.parent))] == text
        cers.append(float(rate))
    assert cers == sorted(cers, reverse=True) and all(c > 0 for c in cers)


def test_eval_against_another_model_reads_the_same_samples(capsys, tmp_path, model_file):
    tsv = write_word_set(tmp_path / "d", n=8)
    args = ("eval", "--data", tsv, "--model", model_file, "--against", model_file)
    code, out, _ = _run(capsys, *args, "--json")
    against = json.loads(out)["against"]
    assert code == 0 and against["model"] == str(model_file)
    assert against["cer_change"] == against["cer_change_low"] == against["cer_change_high"] == 0
    assert against["verdict"] == "a difference within chance"
    code, out, _ = _run(capsys, *args)
    assert code == 0 and f"against {model_file}: CER" in out


def test_eval_comparison_says_which_way_beyond_chance():
    from types import SimpleNamespace

    from hwr_core.cli_commands import _comparison

    refs = [f"word{i}" for i in range(60)]
    worse = [r[:-1] if i % 3 else r for i, r in enumerate(refs)]
    other = SimpleNamespace(bundle=SimpleNamespace(path="b.safetensors"), decode_cfg=DecodeConfig())
    better = _comparison(other, refs, worse, refs)
    assert better["verdict"] == "fewer errors beyond chance" and better["cer_change_high"] < 0
    assert better["accuracy"] == 1.0 and better["accuracy_change_low"] > 0
    assert _comparison(other, refs, refs, worse)["verdict"] == "more errors beyond chance"


def test_export_checks_parity(capsys, tmp_path, model_file):
    code, out, _ = _run(capsys, "export", "--onnx", tmp_path / "m.onnx", "--model", model_file)
    assert code == 0 and "max |onnx - torch|" in out and (tmp_path / "m.onnx").exists()


def test_average_epochs_recomputes_batchnorm_and_8_bit_ranges_on_the_recorded_data(
    capsys, tmp_path, model_file
):
    tsv = write_word_set(tmp_path / "data")
    run = tmp_path / "run"
    args = ("--variant", "tiny", "--epochs", "2", "--batch-size", "8", "--no-augment", "--quiet")
    code, _, err = _run(capsys, "train", "--data", tsv, "--out", run, "--keep-epoch-weights", *args)
    assert code == 0, err
    epochs = sorted((run / "epochs").glob("*.safetensors"))
    assert len(epochs) == 2
    outs = {}
    for batches in (0, 3):
        outs[batches] = tmp_path / f"mean-{batches}.safetensors"
        code, out, err = _run(capsys, "average", *epochs, "--out", outs[batches], "--bn-batches", batches)
        assert code == 0 and "the mean of 2 models" in out, err
    plain, recalibrated = (load_model(outs[b]) for b in (0, 3))
    assert recalibrated.metadata["batchnorm_recalibrated_batches"] == 3
    # the 8-bit ranges are measured on the averaged weights, whether BatchNorm was recomputed or not
    assert stored_ranges(plain) is not None and stored_ranges(recalibrated) is not None
    assert [a["epochs_done"] for a in recalibrated.metadata["averaged_from"]] == [1, 2]
    stats = [k for k in plain.model.state_dict() if k.endswith("running_mean")]
    assert stats and all(
        not torch.equal(plain.model.state_dict()[k], recalibrated.model.state_dict()[k]) for k in stats
    )
    # A model that does not record its training data cannot be recalibrated: a clear error.
    code, _, err = _run(capsys, "average", model_file, model_file, "--out", tmp_path / "x.safetensors")
    assert (
        code == 2 and "does not record the training data" in err and not (tmp_path / "x.safetensors").exists()
    )


def test_info_prints_card(capsys, model_file):
    code, out, _ = _run(capsys, "info", "--model", model_file)
    assert code == 0 and json.loads(out)["variant"] == "tiny"


@pytest.mark.parametrize(
    ("make_args", "needle"),
    [
        (lambda t, m, i: ["recognize", t / "missing.png", "--model", m], "missing.png"),
        (lambda t, m, i: ["recognize", t / "bad.png", "--model", m], "bad.png"),
        (lambda t, m, i: ["recognize", i, "--model", t / "nomodel.safetensors"], "no such model file"),
        (lambda t, m, i: ["recognize", i, "--model", t / "bad.png"], "not a valid model"),
        (lambda t, m, i: ["eval", "--data", t / "d" / "labels.tsv", "--split", "tset", "--model", m], "tset"),
        (lambda t, m, i: ["eval", "--data", t / "nothing.tsv", "--model", m], "nothing.tsv"),
        (lambda t, m, i: ["train", "--data", t / "nothing.tsv", "--out", t / "run"], "nothing.tsv"),
        (lambda t, m, i: ["export", "--onnx", t / "x.onnx", "--model", t / "bad.png"], "not a valid model"),
        (lambda t, m, i: ["recognize", i, "--model", m, "--lexicon", t / "nolex.txt"], "nolex.txt"),
    ],
)
def test_errors_exit_nonzero_with_one_line(capsys, tmp_path, model_file, image_file, make_args, needle):
    (tmp_path / "bad.png").write_bytes(b"this is not an image")
    write_word_set(tmp_path / "d", n=4)
    code, _, err = _run(capsys, *make_args(tmp_path, model_file, image_file))
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("hwr: error:") and needle in lines[0], err
    assert "Traceback" not in err


def test_subprocess_error_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "hwr_core.cli", "recognize", str(tmp_path / "nope.png")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "nope.png" in proc.stderr or "no default model" in proc.stderr


def test_recognize_into_a_closed_pipe_stops_without_an_error(tmp_path, model_file, image_file):
    # `hwr recognize scans/ | head -1`: the reader goes away; "hwr: error: [Errno 32] Broken pipe"
    # was printed for it
    proc = subprocess.Popen(
        [sys.executable, "-m", "hwr_core.cli", "recognize", str(image_file), str(image_file), "--model",
         str(model_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()  # before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and err == ""


def test_recognize_allow_reads_only_those_characters(capsys, image_file, model_file):
    code, out, _ = _run(capsys, "recognize", image_file, "--model", model_file, "--greedy", "--allow", "xyz")
    assert code == 0 and set(out.strip()) <= set("xyz")
    code, out, err = _run(capsys, "recognize", image_file, "--model", model_file, "--allow", "ab€")
    assert code == 2 and out == "" and err.count("\n") == 1 and "'€'" in err


def test_eval_lines_reads_each_image_as_a_page(capsys, tmp_path, model_file, monkeypatch):
    from hwr_core.recognizer import Recognizer

    tsv = write_word_set(tmp_path / "d", n=8)
    pages = []
    real = Recognizer.recognize_page
    monkeypatch.setattr(
        Recognizer, "recognize_page", lambda self, image: pages.append(1) or real(self, image)
    )
    code, out, _ = _run(capsys, "eval", "--data", tsv, "--model", model_file, "--lines", "--json")
    obj = json.loads(out)
    assert code == 0 and obj["n"] == 8 and len(pages) == 8 and obj["decoding"].endswith(", as pages")
    code, out, _ = _run(capsys, "eval", "--data", tsv, "--model", model_file, "--json")
    assert code == 0 and len(pages) == 8 and not json.loads(out)["decoding"].endswith("pages")
