"""A page's multipart body rewritten as it streams: files cut to what a page reads of them,
every other field and the form's shape unchanged."""

from __future__ import annotations

import httpx
from python_multipart.multipart import MultipartParser, parse_options_header

from yibao.web.page_uploads import FILE_BYTES, Trimmer, field_label, is_page


def _body(files: dict[str, tuple[str, bytes, str]], data: dict[str, str]) -> tuple[str, bytes]:
    request = httpx.Request("POST", "http://x/claims", data=data, files=files)
    return request.headers["content-type"], request.read()


def _parts(content_type: str, body: bytes) -> dict[str, bytes]:
    """Field name -> content, as a route's form parser reads them."""
    _, options = parse_options_header(content_type)
    parts: dict[str, bytes] = {}
    current: dict[str, bytes] = {"header": b"", "name": b"", "data": b""}

    def header_value(data: bytes, start: int, end: int) -> None:
        current["header"] += data[start:end]

    def header_end() -> None:
        _, opts = parse_options_header(current["header"])
        if b"name" in opts:
            current["name"] = opts[b"name"]
        current["header"] = b""

    def part_data(data: bytes, start: int, end: int) -> None:
        current["data"] += data[start:end]

    def part_end() -> None:
        parts[current["name"].decode()] = current["data"]
        current["data"] = b""

    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_header_value": header_value,
            "on_header_end": header_end,
            "on_part_data": part_data,
            "on_part_end": part_end,
        },
    )
    parser.write(body)
    parser.finalize()
    return parts


def _trimmed(content_type: str, body: bytes, chunk: int) -> bytes:
    trimmer = Trimmer(content_type)
    return b"".join(trimmer.feed(body[i : i + chunk]) for i in range(0, len(body), chunk))


def test_a_small_form_passes_unchanged_in_any_chunking() -> None:
    files = {"file_invoice": ("发票.png", b"\x89PNG\r\n--not-a-boundary\r\n" * 50, "image/png")}
    content_type, body = _body(files, {"csrf_token": "t", "invoice_no": "FP-1"})
    for chunk in (1, 7, 64, len(body)):
        assert _parts(content_type, _trimmed(content_type, body, chunk)) == _parts(
            content_type, body
        )


def test_a_large_file_is_cut_to_what_a_page_reads_and_later_fields_still_arrive() -> None:
    big = b"\xff" * (FILE_BYTES * 2 + 123)
    files = {
        "file_invoice": ("invoice.jpg", big, "image/jpeg"),
        "file_fee_list": ("list.png", b"small", "image/png"),
    }
    content_type, body = _body(files, {"csrf_token": "t"})
    out = _trimmed(content_type, body, 65536)
    parts = _parts(content_type, out)
    assert parts["file_invoice"] == big[:FILE_BYTES]
    assert parts["file_fee_list"] == b"small"
    assert parts["csrf_token"] == b"t"
    assert len(out) < FILE_BYTES + 2000


def test_a_body_that_does_not_parse_passes_as_it_is() -> None:
    trimmer = Trimmer("multipart/form-data; boundary=abc")
    junk = b"no boundary here at all" * 10
    assert trimmer.feed(junk) == junk
    assert trimmer.passthrough
    assert trimmer.feed(b"more") == b"more"
    assert Trimmer("multipart/form-data").feed(b"x") == b"x"  # no boundary


def test_pages_are_told_from_the_api_and_fields_have_their_names() -> None:
    assert is_page("/claims")
    assert is_page("/staff/policies/upload")
    assert not is_page("/api/v1/settlements/estimate")
    assert not is_page("/fsi/api")
    assert field_label("file_invoice") == "医疗费用发票或收据原件（盖章）"
    assert field_label("selfie") == "本人照片"
    assert field_label("other") == "other"
    assert field_label(None) is None
