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
    from devicecheck.core.evidence.attachments import stored_path
    from devicecheck.core.protection import keys_for

    # In a protected folder the copy has a keyed name and is encrypted (core.protection).
    path = stored_path(data_dir.evidence / "files", sha256, keys_for(data_dir.root))
    try:
        refuse_symlink(path)
    except Exception:
        return None
    return path if path.is_file() else None


def attachment_chunks(path: Path) -> Iterator[bytes]:
    """The attachment's plaintext (decrypted chunk by chunk in a protected folder)."""
    from devicecheck.core.evidence.attachments import ATTACHMENT_LABEL
    from devicecheck.core.protection import decrypt_stream, keys_for, protected_root_of

    root = protected_root_of(path)
    keys = keys_for(root) if root is not None else None
    with open(path, "rb") as handle:
        if keys is not None:
            yield from decrypt_stream(keys, ATTACHMENT_LABEL, handle)
            return
        while chunk := handle.read(CHUNK):
            yield chunk


def thumbnail(path: Path) -> bytes | None:
    """A JPEG thumbnail of an image file, or None when it is not an image Pillow can read."""
    from PIL import Image

    from devicecheck.core.protection import protected_root_of

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = path
            if protected_root_of(path) is not None:  # decrypted in memory (an image is a few MB)
                source = io.BytesIO(b"".join(attachment_chunks(path)))
            with Image.open(source) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return None
                image.draft("RGB", (THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                image.thumbnail((THUMBNAIL_PIXELS, THUMBNAIL_PIXELS))
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=80)
                return out.getvalue()
    except Exception:  # any file a person attached: an odd or broken one is shown by name
        return None
