"""KYC documents: what may be uploaded, and the store that keeps their (encrypted) bytes.

The store is a port: `LocalDocumentStore` writes files under the data directory; an
object-store adapter only has to put and get bytes by key. Callers encrypt before `put`.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Final, Protocol

from liquibond.platform.errors import PayloadTooLarge, Problem

#: Below the app's default 1 MiB request limit, so the document is what gets measured.
MAX_DOCUMENT_BYTES: Final = 768 * 1024

#: Accepted types, recognised by their first bytes whatever the client declares.
_SIGNATURES: Final = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
_UNDECLARED: Final = frozenset({"", "application/octet-stream"})
_KEY: Final = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class UnsupportedMediaType(Problem):
    """415: the content is not of an accepted type."""

    default_status = 415


def check_document(content: bytes, declared_type: str | None) -> str:
    """The media type of an acceptable document, from its magic bytes; 413/415 otherwise."""
    if len(content) > MAX_DOCUMENT_BYTES:
        raise PayloadTooLarge(
            code="kyc.document_too_large",
            detail=f"The document exceeds {MAX_DOCUMENT_BYTES} bytes.",
            extra={"max_bytes": MAX_DOCUMENT_BYTES},
        )
    detected = next((kind for magic, kind in _SIGNATURES if content.startswith(magic)), None)
    if detected is None:
        raise UnsupportedMediaType(
            code="kyc.document_type_unsupported",
            detail="The document must be a PDF, JPEG or PNG file.",
        )
    declared = (declared_type or "").partition(";")[0].strip().lower()
    if declared not in _UNDECLARED and declared != detected:
        raise UnsupportedMediaType(
            code="kyc.document_type_mismatch",
            detail=f"The document is declared as {declared} but its content is {detected}.",
        )
    return detected


class DocumentStore(Protocol):
    """Where document bytes live, by key."""

    async def put(self, key: str, content: bytes) -> None:
        """Store `content` under a new `key`."""

    async def get(self, key: str) -> bytes:
        """The content stored under `key`."""


class LocalDocumentStore:
    """Documents as files (mode 0600) in one directory, written atomically."""

    def __init__(self, root: Path) -> None:
        self._root = root

    async def put(self, key: str, content: bytes) -> None:
        """Store `content` under a new `key`."""
        await asyncio.to_thread(self._write, self._path(key), content)

    async def get(self, key: str) -> bytes:
        """The content stored under `key`."""
        return await asyncio.to_thread(self._path(key).read_bytes)

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError("invalid document key")
        return self._root / key

    def _write(self, path: Path, content: bytes) -> None:
        self._root.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
