"""Attachment files kept in the evidence log, for reports and packs: a chunk at a time, and
image thumbnails.

Everything goes through the evidence package's own attachment API (`stored_path`,
`open_attachment` with the folder's keys), so a protected folder's encrypted copies are read as
plaintext and a plain folder's as they are. A file is never held whole except one image at a
time while its thumbnail is made (and only a file that starts like an image and is not huge).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from typing import Any

from devicecheck.core.datadir import DataDir
from devicecheck.core.files import refuse_symlink

THUMBNAIL_PIXELS = 480  # the longest side of a thumbnail
MAX_IMAGE_PIXELS = 60_000_000  # a larger image (or a decompression bomb) is shown by name only
MAX_IMAGE_BYTES = 40 * 1024 * 1024  # a larger file is not decoded for a thumbnail
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_IMAGE_STARTS = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",  # TIFF
    b"MM\x00*",
)


class StoredFiles:
    """The attachment copies of one data folder."""

    def __init__(self, data_dir: DataDir) -> None:
        from devicecheck.core.evidence import EvidenceLog

        log = EvidenceLog(data_dir)
        self.files_dir = log.files_dir
        self.keys: Any = log.keys() if log.path.exists() else None
        log.close()

    def has(self, sha256: str) -> bool:
        from devicecheck.core.evidence.attachments import stored_path

        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            return False
        path = stored_path(self.files_dir, sha256, self.keys)
        try:
            refuse_symlink(path)
        except Exception:  # a planted link is not ours to follow
            return False
        return path.is_file()

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The file's plaintext, chunk by chunk (1 MiB)."""
        from devicecheck.core.evidence.attachments import open_attachment

        yield from open_attachment(self.files_dir, sha256, self.keys)

    def thumbnail(self, sha256: str) -> bytes | None:
        """A JPEG thumbnail of an image attachment, or None (not an image, unreadable, huge)."""
        if not self.has(sha256):
            return None
        try:
            data = bytearray()
            for chunk in self.chunks(sha256):
                if not data and not chunk.startswith(_IMAGE_STARTS) and not _is_webp(chunk):
                    return None
                data += chunk
                if len(data) > MAX_IMAGE_BYTES:
                    return None
        except Exception:  # an unreadable or undecryptable copy: verify names it
            return None
        return thumbnail_of(bytes(data))


def _is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def thumbnail_of(data: bytes) -> bytes | None:
    """A JPEG thumbnail of image bytes, or None when Pillow cannot read them safely."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return None
                image.draft("RGB", (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=80)
                return out.getvalue()
    except Exception:  # any file a person attached: an odd or broken one is shown by name
        return None
