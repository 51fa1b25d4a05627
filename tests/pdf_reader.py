"""A small reader of the searchable PDFs `hwr_core.pdf_export` writes, for tests: objects found
through the cross-reference table, streams inflated, the text shown and its ToUnicode map applied,
as a PDF viewer finds the text (no PDF library is a dependency)."""

from __future__ import annotations

import re
import struct
import zlib


class PdfReadBack:
    """Objects by number, found through the cross-reference table as a viewer finds them."""

    def __init__(self, data: bytes) -> None:
        assert data.startswith(b"%PDF-1.7") and data.rstrip().endswith(b"%%EOF")
        xref = int(re.search(rb"startxref\n(\d+)\n%%EOF", data)[1])  # type: ignore[index]
        head = re.match(rb"xref\n0 (\d+)\n", data[xref:])
        assert head is not None
        rows = data[xref + head.end() :].split(b"\n")[: int(head[1])]
        self.objects: dict[int, bytes] = {}
        for number, row in enumerate(rows):
            if row.endswith(b" n "):
                offset = int(row[:10])
                assert data[offset:].startswith(f"{number} 0 obj\n".encode())
                end = data.index(b"\nendobj", offset)
                self.objects[number] = data[offset + len(f"{number} 0 obj\n") : end]
        trailer = data[data.index(b"trailer", xref) :]
        self.root = int(re.search(rb"/Root (\d+) 0 R", trailer)[1])  # type: ignore[index]

    def ref(self, body: bytes, key: str) -> int:
        return int(re.search(rf"/{key} (\d+) 0 R".encode(), body)[1])  # type: ignore[index]

    def stream(self, number: int) -> bytes:
        body = self.objects[number]
        length = int(re.search(rb"/Length (\d+)", body)[1])  # type: ignore[index]
        start = body.index(b"stream\n") + len(b"stream\n")
        raw = body[start : start + length]
        assert body[start + length :] == b"\nendstream"
        return zlib.decompress(raw) if b"/FlateDecode" in body[:start] else raw

    def pages(self) -> list[bytes]:
        tree = self.objects[self.ref(self.objects[self.root], "Pages")]
        kids = re.findall(rb"(\d+) 0 R", tree[tree.index(b"/Kids") :])
        return [self.objects[int(k)] for k in kids]

    def words(self, page: bytes) -> list[tuple[list[float], str]]:
        """Each text shown on the page (its text matrix, its text through the font's ToUnicode)."""
        font = self.objects[self.ref(page, "F1")]
        cmap = self.stream(self.ref(font, "ToUnicode")).decode("ascii")
        ranges = {
            int(lo, 16): (int(hi, 16), int(dst, 16))
            for lo, hi, dst in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4})> <([0-9A-F]{4})>", cmap)
        }

        def unicode(code: int) -> int:
            lo = max(k for k in ranges if k <= code)
            hi, dst = ranges[lo]
            assert code <= hi, f"code {code:04X} not mapped"
            return dst + code - lo

        content = self.stream(self.ref(page, "Contents")).decode("ascii")
        assert "3 Tr" in content  # invisible: the page shows the image only
        shown = []
        for matrix, hexed in re.findall(r"((?:-?[\d.]+ ){6})Tm <([0-9A-F]*)> Tj", content):
            codes = struct.unpack(f">{len(hexed) // 4}H", bytes.fromhex(hexed))
            units = struct.pack(f">{len(codes)}H", *(unicode(c) for c in codes))
            shown.append(([float(v) for v in matrix.split()], units.decode("utf-16-be")))
        return shown

    def text(self, page: bytes) -> str:
        """Its texts, one after another (a word's own space dropped)."""
        return " ".join(text.removesuffix(" ") for _, text in self.words(page))
