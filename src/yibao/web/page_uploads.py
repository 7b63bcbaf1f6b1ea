"""Form uploads on the pages: a file larger than any page accepts reaches its route cut short,
so the page answers with its own error beside the field (文件过大 …) instead of a bare 413.

Every page that takes a file reads at most :data:`FILE_BYTES` of it (the largest file a page
accepts, plus one byte to see that it is too large) and refuses anything longer naming the
field. :class:`Trimmer` rewrites a ``multipart/form-data`` body as it streams in: each file
part keeps its first :data:`FILE_BYTES` bytes and the rest is read and dropped; other fields
pass unchanged. A route therefore sees exactly what it reads of the full file, and says the
same. The body the route receives still has the upload limit; what is read from the client,
dropped bytes included, stops at :data:`READ_FACTOR` times that limit.
"""

from __future__ import annotations

from python_multipart.multipart import MultipartParser, parse_options_header

from yibao.services import materials, uploads

FILE_BYTES = uploads.MAX_BYTES + 1
READ_FACTOR = 4
# field name -> what the person calls it (a claim's materials are ``file_<key>``)
FIELD_LABELS = {
    "id_photo": "身份证照片",
    "selfie": "本人照片",
    "file": "文件",
    **{f"file_{key}": label for key, label in materials.LABELS.items()},
}


def is_page(path: str) -> bool:
    """A page (HTML forms), not the JSON API, the hospital interface or the API docs."""
    return not path.startswith(("/api/", "/fsi/", "/fsi", "/docs", "/redoc", "/openapi"))


def field_label(name: str | None) -> str | None:
    return FIELD_LABELS.get(name, name) if name else None


class Trimmer:
    """Feed the body's chunks; get back the rewritten chunks. ``field`` is the name of the
    part being read (for an error naming it). A body that does not parse is passed on as it
    is (the route refuses it)."""

    def __init__(self, content_type: str) -> None:
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary", b"")
        self.boundary = boundary
        self.field: str | None = None
        self.passthrough = not boundary
        self._out: list[bytes] = []
        self._header_name = b""
        self._header_value = b""
        self._headers: list[bytes] = []
        self._is_file = False
        self._kept = 0
        self._parser: MultipartParser | None = None
        if not self.passthrough:
            self._parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": self._part_begin,
                    "on_header_field": self._header_field,
                    "on_header_value": self._header_value_part,
                    "on_header_end": self._header_end,
                    "on_headers_finished": self._headers_finished,
                    "on_part_data": self._part_data,
                    "on_part_end": self._part_end,
                    "on_end": self._end,
                },
            )

    def feed(self, chunk: bytes) -> bytes:
        if self.passthrough or self._parser is None:
            return chunk
        try:
            self._parser.write(chunk)
        except Exception:  # a malformed body: the route's own parser refuses it
            self.passthrough = True
            return b"".join(self._out) + chunk
        out, self._out = b"".join(self._out), []
        return out

    def _part_begin(self) -> None:
        self._out.append(b"--" + self.boundary + b"\r\n")
        self._headers, self._is_file, self._kept, self.field = [], False, 0, None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        name, value = self._header_name, self._header_value
        self._header_name = self._header_value = b""
        self._headers.append(name + b": " + value + b"\r\n")
        if name.lower() == b"content-disposition":
            _, options = parse_options_header(value)
            self.field = options.get(b"name", b"").decode("utf-8", "replace") or None
            self._is_file = b"filename" in options

    def _headers_finished(self) -> None:
        self._out.extend(self._headers)
        self._out.append(b"\r\n")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        piece = data[start:end]
        if self._is_file:
            piece = piece[: max(0, FILE_BYTES - self._kept)]
            self._kept += len(piece)
        self._out.append(piece)

    def _part_end(self) -> None:
        self._out.append(b"\r\n")

    def _end(self) -> None:
        self._out.append(b"--" + self.boundary + b"--\r\n")
