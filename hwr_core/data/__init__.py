"""Training data: readers for the label formats, data specs, synthetic handwriting and augmentation.

The torch `Dataset` lives in `hwr_core.data.dataset` (imported on its own, so this package stays
importable without torch).
"""

from .augment import augment
from .readers import clean_text, read_cinnamon_json, read_iam, read_kaggle_csv, read_labels_tsv
from .records import ReadReport, Record
from .spec import KINDS, DataSpec, load_records, parse_spec
from .synth import FontInfo, SyntheticRenderer, SyntheticSource, load_fonts, split_fonts
from .textgen import LANGS, TextGenerator, load_wordlist

__all__ = [
    "KINDS",
    "LANGS",
    "DataSpec",
    "FontInfo",
    "ReadReport",
    "Record",
    "SyntheticRenderer",
    "SyntheticSource",
    "TextGenerator",
    "augment",
    "clean_text",
    "load_fonts",
    "load_records",
    "load_wordlist",
    "parse_spec",
    "read_cinnamon_json",
    "read_iam",
    "read_kaggle_csv",
    "read_labels_tsv",
    "split_fonts",
]
