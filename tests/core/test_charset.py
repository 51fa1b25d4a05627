import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwr_core.charset import DEFAULT_ALPHABET, VIETNAMESE_LETTERS, CTCCodec, normalize_text, search_key
from hwr_core.errors import CharsetError


def test_alphabet_covers_english_and_all_vietnamese():
    assert len(VIETNAMESE_LETTERS) == 134
    for ch in "đĐăĂâÂêÊôÔơƠưƯỄỗặẶỹỸ":
        assert ch in DEFAULT_ALPHABET
    for ch in "azAZ09 .,;:!?'\"-()/&%":
        assert ch in DEFAULT_ALPHABET
    assert len(set(DEFAULT_ALPHABET)) == len(DEFAULT_ALPHABET)


def test_blank_is_zero_and_round_trip():
    codec = CTCCodec()
    ids = codec.encode("Xin chào Việt Nam").ids
    assert 0 not in ids
    assert codec.decode(ids) == "Xin chào Việt Nam"
    assert codec.label(0) == "∅"
    assert codec.num_classes == len(DEFAULT_ALPHABET) + 1


def test_nfd_input_encodes_like_nfc():
    codec = CTCCodec()
    text = "Đường Nguyễn Huệ, Quận 1"
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert codec.encode(nfd).ids == codec.encode(text).ids


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hòa", "hoà"),
        ("Thủy", "Thuỷ"),
        ("hóa học", "hoá học"),
        ("khỏe", "khoẻ"),
        ("HÒA", "HOÀ"),
        ("quý", "quý"),
        ("của", "của"),
        ("hoàng", "hoàng"),
        ("toán", "toán"),
        ("người", "người"),
    ],
)
def test_one_tone_mark_convention(raw, expected):
    assert normalize_text(raw) == expected


def test_typographic_punctuation_maps_to_ascii():
    assert normalize_text("“it’s” – ok…") == '"it\'s" - ok...'


def test_strict_raises_and_lenient_counts():
    codec = CTCCodec("abc ")
    with pytest.raises(CharsetError, match="outside the alphabet"):
        codec.encode("abx")
    res = codec.encode("abxxz", strict=False)
    assert codec.decode(res.ids) == "ab"
    assert res.dropped == {"x": 2, "z": 1}


def test_decode_rejects_ids_outside_codec():
    with pytest.raises(CharsetError):
        CTCCodec("ab").decode([3])


def test_extend_keeps_existing_ids():
    base = CTCCodec("abc")
    ext = base.extend("cdé")
    assert ext.alphabet == "abcdé"
    for ch in "abc":
        assert ext.encode(ch).ids == base.encode(ch).ids
    assert base.extend("ab") is base


def test_bad_alphabets_rejected():
    with pytest.raises(CharsetError):
        CTCCodec("aa")
    with pytest.raises(CharsetError):
        CTCCodec(["ab"])
    with pytest.raises(CharsetError):
        CTCCodec([unicodedata.normalize("NFD", "é")[0] + "\u0301"])


def test_serialisation_round_trip():
    codec = CTCCodec()
    assert CTCCodec.from_dict(codec.to_dict()) == codec
    with pytest.raises(CharsetError):
        CTCCodec.from_dict({"alphabet": "not a list"})


@given(st.text(alphabet=DEFAULT_ALPHABET, max_size=60))
def test_round_trip_any_text_over_the_alphabet(text):
    codec = CTCCodec()
    norm = normalize_text(text)
    assert codec.decode(codec.encode(text).ids) == norm
    assert normalize_text(norm) == norm  # idempotent


def test_a_search_sets_case_accents_and_tones_aside():
    assert search_key("Việt  Nam") == search_key("viet nam") == "viet nam"
    assert search_key("ĐƯỜNG Đi") == "duong di" and search_key("Ngã tư") == search_key("NGA TU")
    assert search_key(unicodedata.normalize("NFD", "Hà Nội")) == "ha noi"  # typed decomposed too
    assert search_key("") == "" and "oi" not in search_key("ô i")  # a space stays a space


@given(st.text(alphabet=DEFAULT_ALPHABET, max_size=30))
def test_every_reading_finds_itself_without_its_accents(text):
    key = search_key(text)
    assert key == search_key(key) and key in search_key(text.upper() + " tail")
