"""Reading attachment files kept in the evidence log, a chunk at a time, and image thumbnails.

Only this module opens `evidence/files/<sha256>` for reports and packs, so a change to how
attachments are stored is made here once. A file is never held whole: packs stream it in
1 MiB chunks and thumbnails let Pillow read what it needs.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

from devicecheck.core.datadir import DataDir
from devicecheck.core.files import refuse_symlink

CHUNK = 1 << 20
THUMBNAIL_PIXELS = 480  # the longest side of a thumbnail
MAX_IMAGE_PIXELS = 60_000_000  # a larger image (or a decompression bomb) is shown by name only
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic")


def attachment_path(data_dir: DataDir, sha256: str) -> Path | None:
    """The stored copy of an attachment, or None when the name is not a SHA-256 or it is gone."""
    if not _SHA256.match(sha256):
        return None
    path = data_dir.evidence / "files" / sha256
    try:
        refuse_symlink(path)
    except Exception:
        return None
    return path if path.is_file() else None


def attachment_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def thumbnail(path: Path) -> bytes | None:
    """A JPEG thumbnail of an image file, or None when it is not an image Pillow can read."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return None
                image.draft("RGB", (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=80)
                return out.getvalue()
    except Exception:  # any file a person attached: an odd or broken one is shown by name
        return None
