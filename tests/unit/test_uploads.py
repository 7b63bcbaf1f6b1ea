"""Uploads: JPEG/PNG/PDF by content, re-encoded without metadata; bad files refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from yibao.services.errors import InvalidInput
from yibao.services.uploads import check_upload, store, stored_path


def jpeg_with_exif(size: tuple[int, int] = (64, 48)) -> bytes:
    img = Image.new("RGB", size, (200, 100, 50))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPS
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


def test_a_jpeg_is_reencoded_without_its_metadata() -> None:
    data = jpeg_with_exif()
    assert b"SecretCam" in data
    clean = check_upload("photo.JPG", data)
    assert clean.media_type == "image/jpeg"
    assert clean.extension == "jpg"
    assert b"SecretCam" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as img:
        assert img.size == (64, 48)
        assert not img.getexif()


def test_a_png_and_a_pdf_are_accepted_by_content() -> None:
    assert check_upload("a.png", png()).media_type == "image/png"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert check_upload("invoice.pdf", pdf).data == pdf


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("evil.jpg", b"<?php system($_GET['c']); ?>", "不是 JPG、PNG 或 PDF"),
        ("x.php.jpg", jpeg_with_exif(), "多个扩展名"),
        ("../../etc/passwd.jpg", jpeg_with_exif(), "文件名不合法"),
        ("a\\b.png", png(), "文件名不合法"),
        ("noext", png(), "扩展名"),
        ("script.exe", b"MZ\x90\x00", "只接受"),
        ("photo.png", jpeg_with_exif(), "扩展名与内容不符"),
        ("empty.png", b"", "空的"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "已损坏"),
        ("cut.pdf", b"%PDF-1.4\nno end", "不完整"),
    ],
)
def test_bad_files_are_refused_with_a_reason(name: str, data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_upload(name, data, field="id_photo")
    assert message in caught.value.message
    assert caught.value.field == "id_photo"


def test_an_oversize_file_is_refused() -> None:
    with pytest.raises(InvalidInput, match="过大"):
        check_upload("big.png", png(), max_bytes=10)


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 M pixels, a few KB on disk
    data = out.getvalue()
    assert len(data) < 200_000
    with pytest.raises(InvalidInput, match="像素过多"):
        check_upload("bomb.png", data)


def test_stored_files_get_random_names_and_only_those_are_found(tmp_path: Path) -> None:
    name = store(tmp_path, check_upload("a.png", png()))
    assert stored_path(tmp_path, name) == tmp_path / name
    assert stored_path(tmp_path, "../" + name) is None
    assert stored_path(tmp_path, "a.png") is None
