"""Uploaded files (ID-card photos, selfies, invoices, claim materials): accept only JPEG,
PNG or PDF, judged by content, under a size limit; re-encode images without metadata.

    clean = check_upload(upload.filename, data)   # raises InvalidInput(field=...)
    name = store(directory, clean)                 # random name, e.g. "3f9c….jpg"

Refused cleanly with a Chinese message: empty or oversize files, names with a path
(``../x.jpg``, ``a/b.png``), control characters or a double extension (``x.php.jpg``),
content that is none of the three types (whatever the extension says), an extension that
disagrees with the content, images that cannot be decoded, and decompression bombs (more
than :data:`MAX_PIXELS` pixels: Pillow's ``DecompressionBombError``).
"""

from __future__ import annotations

import io
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from yibao.services.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # Pillow raises DecompressionBombError above 2x this
MAX_SIDE = 4000  # longer images are scaled down to this
ALLOWED = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
# The process-wide limit: Pillow warns above it and raises DecompressionBombError above twice it.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_NAME_RE = re.compile(r"^[^/\\\x00-\x1f]{1,120}$")


@dataclass(frozen=True, slots=True)
class CleanFile:
    data: bytes
    media_type: str  # image/jpeg, image/png, application/pdf
    extension: str  # jpg, png, pdf
    original_name: str


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check_name(filename: str, field: str) -> str:
    """The file's extension (lower case) if the name is acceptable."""
    name = filename.strip()
    if not _NAME_RE.match(name) or name in (".", "..") or ".." in name:
        raise InvalidInput("文件名不合法（不能包含路径或特殊字符）", field=field)
    parts = name.split(".")
    if len(parts) < 2 or not parts[-1]:
        raise InvalidInput("文件名应带扩展名：.jpg、.png 或 .pdf", field=field)
    if len(parts) > 2:
        raise InvalidInput("文件名不能有多个扩展名（如 x.php.jpg）", field=field)
    ext = parts[-1].lower()
    if ext not in ALLOWED:
        raise InvalidInput("只接受 JPG、PNG 图片或 PDF 文件", field=field)
    return ext


def check_upload(
    filename: str, data: bytes, *, field: str = "file", max_bytes: int = MAX_BYTES
) -> CleanFile:
    ext = check_name(filename, field)
    if not data:
        raise InvalidInput("文件是空的", field=field)
    if len(data) > max_bytes:
        raise InvalidInput(f"文件过大：不能超过 {max_bytes // (1024 * 1024)} MB", field=field)
    kind = _sniff(data)
    if kind is None:
        raise InvalidInput("文件内容不是 JPG、PNG 或 PDF", field=field)
    if ALLOWED[ext] != kind:
        raise InvalidInput("文件扩展名与内容不符", field=field)
    if kind == "application/pdf":
        if b"%%EOF" not in data[-1024:]:
            raise InvalidInput("PDF 文件不完整或已损坏", field=field)
        return CleanFile(data, kind, "pdf", filename)
    return _reencode(data, kind, filename, field)


def _reencode(data: bytes, kind: str, filename: str, field: str) -> CleanFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    raise InvalidInput("图片像素过多，请缩小后再上传", field=field)
                opened.load()
                img = ImageOps.exif_transpose(opened)
                img.thumbnail((MAX_SIDE, MAX_SIDE))
                out = io.BytesIO()
                if kind == "image/jpeg":
                    img.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
                    ext = "jpg"
                else:
                    mode = img.mode if img.mode in ("RGB", "RGBA", "L", "LA") else "RGBA"
                    img.convert(mode).save(out, "PNG", optimize=True)
                    ext = "png"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("图片像素过多，请缩小后再上传", field=field) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InvalidInput("图片已损坏，无法读取", field=field) from None
    return CleanFile(out.getvalue(), kind, ext, filename)


def store(directory: Path, clean: CleanFile) -> str:
    """Save under a random name in ``directory`` (created if needed); returns the name."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{clean.extension}"
    (directory / name).write_bytes(clean.data)
    return name


def stored_path(directory: Path, name: str) -> Path | None:
    """The path of a stored file by its name, or None if the name is not one we made."""
    if not re.fullmatch(r"[0-9a-f]{32}\.(jpg|png|pdf)", name):
        return None
    path = directory / name
    return path if path.is_file() else None
