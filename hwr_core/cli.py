"""`hwr`: recognize, eval, train, export, info. Errors print one line and exit non-zero.

The parser is here; the commands are in `hwr_core.cli_commands`. Heavy imports (torch, cv2) live
inside the commands so `hwr --help` is instant.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from . import __version__
from .cli_commands import (
    EXIT_ERROR,
    cmd_average,
    cmd_charlm,
    cmd_eval,
    cmd_export,
    cmd_info,
    cmd_personalise,
    cmd_recognize,
    cmd_teach,
    cmd_train,
)
from .config import (
    BACKENDS,
    CLI_LANGUAGES,
    DEFAULT_LEXICON_WEIGHT,
    DEFAULT_LM_WEIGHT,
    INT8_CALIBRATION_BATCHES,
)
from .errors import HwrError
from .parallel import MAX_JOBS


def _region(value: str) -> tuple[int, int, int, int]:
    try:
        x0, y0, x1, y1 = (int(v) for v in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X0,Y0,X1,Y1 in pixels, got {value!r}") from None
    return x0, y0, x1, y1


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {value!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hwr", description="HWR Studio command line: handwriting recognition (CRNN + CTC)."
    )
    p.add_argument("--version", action="version", version=f"hwr {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def image_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--rotate",
            type=int,
            choices=(0, 90, 180, 270),
            default=0,
            help="turn each image clockwise first (a photo taken sideways)",
        )
        sp.add_argument(
            "--region",
            type=_region,
            metavar="X0,Y0,X1,Y1",
            help="read only this box of each image (pixels, after --rotate), as a box dragged in the app",
        )

    def model_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--model", "-m", help="model file (.safetensors); default: the shipped model or $HWR_MODEL"
        )
        sp.add_argument(
            "--backend",
            choices=BACKENDS,
            default="auto",
            help="inference engine: torch, onnx (onnxruntime), onnx-int8 (onnxruntime with 8-bit weights: "
            "the LSTM and linear layers, and the convolutions where the model file holds their ranges), "
            "or auto (default: onnx-int8 where onnxruntime is installed)",
        )
        how = sp.add_mutually_exclusive_group()
        how.add_argument(
            "--beam",
            type=int,
            default=0,
            metavar="N",
            help="prefix beam search of width N (default: the model's)",
        )
        how.add_argument("--greedy", action="store_true", help="best path decoding: fastest, no word list")
        sp.add_argument(
            "--lexicon",
            metavar="FILE",
            help="word list (one per line) that beam search prefers; 'builtin' (English + Vietnamese) or "
            "'none' (default: the model's; a file named none or builtin: ./none)",
        )
        sp.add_argument(
            "--lexicon-weight",
            type=float,
            default=None,
            help=f"bonus per in-lexicon word (default: the model's, else {DEFAULT_LEXICON_WEIGHT:g})",
        )
        sp.add_argument(
            "--lm",
            metavar="FILE",
            help="character language model (.charlm, see 'hwr charlm') fused into beam search; 'builtin' "
            "(the one shipped with the default model) or 'none' (default: the model's)",
        )
        sp.add_argument(
            "--lm-weight",
            type=float,
            default=None,
            help=f"weight of the character model (default: the model's, else {DEFAULT_LM_WEIGHT:g})",
        )
        sp.add_argument(
            "--allow",
            metavar="CHARS",
            help="read only these characters, e.g. '0123456789/' or capitals and ' -' for a form's name "
            "field; a letter not allowed counts as its other case or its base letter (é -> e -> E) "
            "(default: the model's, usually all; '' allows all)",
        )
        sp.add_argument(
            "--lang",
            choices=CLI_LANGUAGES,
            help="the writing's language: 'en' reads no Vietnamese letter (ị -> i) and prefers only English "
            "words of the built-in word list, 'vi' only its Vietnamese words (default: the model's, "
            "English + Vietnamese)",
        )

    r = sub.add_parser(
        "recognize",
        help="print the text of handwriting images",
        description="Recognise handwriting images as the app reads them: a page is split into its lines "
        "(--one-line reads each image whole). A folder means its images. A .json file is canvas strokes (a "
        "Teach sample's strokes file, or a list of [x, y] polylines), read as the app reads its canvas. With "
        "several images, each line read is printed as 'path<TAB>text'.",
    )
    r.add_argument(
        "images",
        nargs="+",
        metavar="IMG",
        help="image files (a multi-page TIFF's pages, or one page as scan.tif#page=2), or folders: "
        "their images, subfolders' too; or PAGE / ALTO XML files (Transkribus, eScriptorium, OCR-D): "
        "the lines they put on their image, each read as segmented there",
    )
    model_args(r)
    r.add_argument("--n-best", type=int, default=None, metavar="K", help="hypotheses kept by beam search")
    split = r.add_mutually_exclusive_group()
    split.add_argument(
        "--lines",
        action="store_true",
        default=True,
        help="the default, as the app reads: split an image of several lines into its lines first (kept "
        "only where the lines read surer than the whole image)",
    )
    split.add_argument(
        "--one-line",
        dest="lines",
        action="store_false",
        help="read each image whole as one line of writing, as 'hwr eval' does: for images already cut "
        "to a line (a little faster, and a form field's neighbours' print is not read; a page reads as "
        "nonsense)",
    )
    r.add_argument(
        "--upright",
        action="store_true",
        help="turn an image whose writing lies on its side or upside down upright first (read as a "
        "page); stderr and --json ('turned') say how far",
    )
    r.add_argument(
        "--json", action="store_true", help="one JSON object per image: confidence, n-best, per-char spans"
    )
    r.add_argument(
        "--txt-dir",
        metavar="DIR",
        help="also write each image's text to DIR/<image name>.txt (subfolders kept; DIR may be the "
        "images' own folder)",
    )
    r.add_argument(
        "--tsv",
        metavar="FILE",
        help="also write a labels.tsv (image path, text) that 'hwr eval', 'hwr train' and 'hwr teach "
        "--from' read; a page's lines are joined by spaces",
    )
    r.add_argument(
        "--joined",
        metavar="FILE",
        help="also write every image's text to one file, in order, a blank line between images",
    )
    r.add_argument(
        "--page-xml",
        metavar="DIR",
        help="also write each image's lines, with where they lie in it, as PAGE XML (Transkribus, "
        "eScriptorium): DIR/<image name>.xml",
    )
    r.add_argument(
        "--alto",
        metavar="DIR",
        help="also write each image's lines and words, with where they lie in it, as ALTO XML 4 "
        "(eScriptorium, library and archive systems): DIR/<image name>.xml",
    )
    r.add_argument(
        "--hocr",
        metavar="FILE",
        help="also write every image's lines, with where they lie in it, to one hOCR file (a page each)",
    )
    r.add_argument(
        "--pdf",
        metavar="FILE",
        help="also write every image as a page of one searchable PDF, what was read laid over it as "
        "invisible text where it lies (found by search, selected and copied as written)",
    )
    r.add_argument(
        "--fill-layout",
        metavar="DIR",
        help="for PAGE or ALTO files given: write each again as DIR/<its name>.xml with what was read "
        "put in its own lines (ids, outlines and regions kept, so it imports back as the same layout); "
        "DIR may be the files' own folder, to fill them in place",
    )
    r.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"files read at once, each on a core (default: one per core, at most {MAX_JOBS}); the output "
        "keeps the files' order. One file: its lines read at once",
    )
    image_args(r)
    r.set_defaults(func=cmd_recognize)

    e = sub.add_parser(
        "eval",
        help="CER/WER/accuracy of a model on a labelled set",
        description="Evaluate a model on labelled data.",
    )
    e.add_argument(
        "--data",
        required=True,
        metavar="SPEC",
        help="labels.tsv, IAM folder, Kaggle CSV, Cinnamon JSON, or synth:FONTS?OPTIONS, samples drawn "
        "from fonts as 'hwr train' draws them (its --help; seed=N picks them, default 0)",
    )
    e.add_argument("--split", help="use only rows of this split (e.g. val)")
    e.add_argument("--limit", type=int, default=0, help="evaluate only the first N samples")
    e.add_argument(
        "--lines",
        action="store_true",
        help="read each image as the app does: split into lines first where they read surer than the "
        "whole image (as hwr recognize does)",
    )
    model_args(e)
    e.add_argument(
        "--against",
        metavar="MODEL",
        help="also read every sample with this model (same decoding options) and say whether its CER "
        "differs by more than chance (a paired bootstrap over the samples)",
    )
    e.add_argument(
        "--misread",
        metavar="FILE",
        help="also write every sample read otherwise than its transcription to FILE, the worst first "
        "(TSV: path, text, what was read, its CER)",
    )
    e.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (cer, wer, accuracy, n, latency_ms_p50, ...; with --against, 'against')",
    )
    e.set_defaults(func=cmd_eval)

    t = sub.add_parser(
        "train",
        help="train or fine-tune a model",
        description=(
            "Train a CRNN. SPEC is [kind:]PATH[?split=S&weight=W&...]: kind is tsv, iam, kaggle, cinnamon or synth "
            "(detected from the path when left out). Synthetic data from a fonts folder: "
            "'synth:FONTDIR?n=20000&lang=en,vi' (training draws the fonts not held out, validation the held-out "
            "ones, unless heldout= says otherwise). Validation defaults to the val split of each tsv source."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    t.add_argument("--data", nargs="+", required=True, metavar="SPEC", help="training sources")
    t.add_argument(
        "--val",
        nargs="*",
        default=None,
        metavar="SPEC",
        help="validation sources (default: split=val of the tsv sources; none: no validation)",
    )
    t.add_argument(
        "--out", required=True, help="run folder: checkpoints, best/final model, train.log, history.jsonl"
    )
    t.add_argument("--resume", action="store_true", help="continue from OUT/last.ckpt.safetensors")
    t.add_argument("--init", metavar="MODEL", help="start from this model's weights (fine-tuning)")
    t.add_argument("--variant", default="small", help="model variant for a new model: small, paper, tiny")
    t.add_argument("--height", type=int, default=32, help="input height for a new model")
    t.add_argument(
        "--width-scale",
        type=float,
        default=None,
        help="horizontal stretch of the input after scaling to --height, for a new model or with "
        "--init (default: 1.0, or the --init model's): more timesteps per character",
    )
    t.add_argument(
        "--extend-charset",
        action="store_true",
        help="with --init: add characters found in the labels to the charset",
    )
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--schedule", choices=["onecycle", "plateau", "constant"], default="onecycle")
    t.add_argument(
        "--patience", type=int, default=5, help="early stopping after N epochs without val CER gain (0: off)"
    )
    t.add_argument(
        "--freeze-backbone-epochs",
        type=int,
        default=0,
        help="fine-tuning: epochs training only the BiLSTM + head",
    )
    t.add_argument("--samples-per-epoch", type=int, default=0, help="0: the weighted size of the data")
    t.add_argument("--val-max", type=int, default=0, help="cap on validation samples (0: all)")
    t.add_argument(
        "--bn-recalibrate",
        type=int,
        default=0,
        metavar="N",
        help="before each validation, recompute BatchNorm statistics over N training batches (0: off)",
    )
    t.add_argument(
        "--freeze-batchnorm",
        action="store_true",
        help="fine-tuning: normalise with the model's BatchNorm statistics, not each batch's",
    )
    t.add_argument(
        "--keep-epoch-weights",
        action="store_true",
        help="also save every epoch's weights under OUT/epochs/ (for `hwr average`)",
    )
    t.add_argument(
        "--checkpoint-every", type=int, default=200, help="also checkpoint every N steps (0: epoch ends only)"
    )
    t.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    t.add_argument(
        "--amp",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="bfloat16 mixed precision (CUDA, or a CPU with native bf16)",
    )
    t.add_argument("--compile", action="store_true", help="torch.compile (CUDA)")
    t.add_argument(
        "--loader-workers",
        type=int,
        default=0,
        metavar="N",
        help="load batches in N processes (a GPU that one loading thread leaves idle); 0: one thread",
    )
    t.add_argument("--no-augment", action="store_true", help="train without augmentation")
    t.add_argument("--seed", type=int, default=1234)
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    x = sub.add_parser(
        "export",
        help="export a model to ONNX",
        description="Export to ONNX (dynamic batch and width) and check it against torch.",
    )
    x.add_argument("--onnx", required=True, metavar="OUT", help="output .onnx file")
    x.add_argument("--model", "-m", help="model file; default: the shipped model")
    x.set_defaults(func=cmd_export)

    a = sub.add_parser(
        "average",
        help="average several epochs' weights into one model",
        description="The element-wise mean of model files of one run (train with --keep-epoch-weights), "
        "with BatchNorm statistics recomputed over the training data the last file records.",
    )
    a.add_argument(
        "models", nargs="+", metavar="MODEL", help="model files: same architecture, charset and preprocessing"
    )
    a.add_argument("--out", required=True, help="output model file")
    a.add_argument(
        "--bn-batches",
        type=int,
        default=150,
        metavar="N",
        help="recompute BatchNorm statistics over N training batches (default 150; 0: the mean of the files')",
    )
    a.add_argument(
        "--int8-batches",
        type=int,
        default=INT8_CALIBRATION_BATCHES,
        metavar="N",
        help="measure the 8-bit engine's convolution ranges over N training batches "
        f"(default {INT8_CALIBRATION_BATCHES}; 0: none, the convolutions then read in float)",
    )
    a.set_defaults(func=cmd_average)

    pz = sub.add_parser(
        "personalise",
        help="fine-tune a model on your own handwriting samples (the Teach tab's)",
        description="Fine-tune a model on a folder of samples collected in the app's Teach tab (some are "
        "held out to score it), then save it beside the app's other personalised models. The result "
        "says whether the held-out CER changed by more than chance.",
    )
    pz.add_argument("samples", nargs="?", help="samples folder (default: the Teach tab's)")
    pz.add_argument("--model", help="model to start from (default: the shipped one)")
    pz.add_argument("--epochs", type=int, help="epochs (default: the Teach tab's, 6)")
    pz.add_argument(
        "--freeze-epochs",
        type=int,
        help="first epochs training the recurrent layers and the output only (default: 2)",
    )
    pz.add_argument(
        "--replay-fonts", metavar="DIR", help="also replay synthetic handwriting from these fonts"
    )
    pz.add_argument("--out-dir", help="where to save the model (default: the app's personalised models)")
    pz.set_defaults(func=cmd_personalise)

    tc = sub.add_parser(
        "teach",
        help="keep an image's lines and what was written on them as Teach samples",
        description="Read an image as the app does (a page is split into lines) and keep each line with "
        "its line of TEXT as a sample in the Teach tab's folder, for 'hwr personalise'. TEXT has one line "
        "per line read (newlines, or \\n); an empty line skips its line. A mismatch prints the reading. "
        "--from keeps every image of a labels file instead, with its text.",
    )
    tc.add_argument("image", metavar="IMG", nargs="?")
    tc.add_argument(
        "text", metavar="TEXT", nargs="?", help="what was written, one line of text per line of writing"
    )
    tc.add_argument(
        "--from",
        dest="source",
        metavar="SPEC",
        help="keep every image of a labels.tsv (path <TAB> text, one line of writing each), or every "
        "line of any data SPEC (page:DIR for PAGE or ALTO XML), instead",
    )
    tc.add_argument("--samples", metavar="DIR", help="samples folder (default: the Teach tab's)")
    image_args(tc)
    model_args(tc)
    tc.set_defaults(func=cmd_teach)

    c = sub.add_parser(
        "charlm",
        help="build a character language model for beam search",
        description="Count the characters of a text corpus into a character n-gram model (Kneser-Ney), "
        "for --lm. SOURCE is a .txt file (one text per line) or a labelled-data spec as for 'hwr train' "
        "(only its transcriptions are read), e.g. 'labels.tsv?split=train'.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    c.add_argument("sources", nargs="*", metavar="SOURCE", help="corpus sources")
    c.add_argument(
        "--untokenize",
        nargs="+",
        metavar="SOURCE",
        help='more sources whose IAM-style spacing ("it \'s here ,") is joined first',
    )
    c.add_argument("--word-lists", action="store_true", help="also count the package's word lists")
    c.add_argument(
        "--numbers",
        type=int,
        default=0,
        metavar="N",
        help="also count N generated numbers, half English and half Vietnamese style (seed 0)",
    )
    c.add_argument(
        "--quoted",
        type=int,
        default=0,
        metavar="N",
        help="also count N words of the package's word lists in quotation marks ('word', \"word\"; seed 0)",
    )
    c.add_argument("--out", required=True, help="output file (.charlm)")
    c.add_argument("--order", type=int, default=6, help="characters of context + 1")
    c.add_argument("--min-count", type=int, default=2, help="prune n-grams (order >= 3) seen fewer times")
    c.add_argument(
        "--keep-case",
        action="store_true",
        help="count upper- and lower-case letters apart (default: letters case-folded, case modelled apart)",
    )
    c.add_argument(
        "--case-by-classes",
        action="store_true",
        help="judge a word's first letter's case by the character classes before it only, not by the "
        "letters too (the model before session 29)",
    )
    c.set_defaults(func=cmd_charlm)

    i = sub.add_parser("info", help="show a model's card", description="Print a model file's card as JSON.")
    i.add_argument("--model", "-m", help="model file; default: the shipped model")
    i.set_defaults(func=cmd_info)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="hwr: %(levelname)s: %(message)s"
    )
    for h in logging.getLogger().handlers:  # the console shows warnings; train.log gets INFO too
        h.setLevel(logging.DEBUG if args.debug else logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except HwrError as e:
        if args.debug:
            raise
        print(f"hwr: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("hwr: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`hwr recognize scans/ | head`): nothing to say
        # Python flushes stdout again at exit and would complain there: point it at nothing first
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):  # stdout is not a file (captured)
            pass
        return 128 + 13  # as a shell reports a command ended by SIGPIPE
    except (OSError, MemoryError) as e:
        if args.debug:
            raise
        print(f"hwr: error: {e}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
