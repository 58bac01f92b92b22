"""Web chat rules: the pre-chat form, message and attachment limits, file type sniffing and safe names.

Pure functions (no I/O, `now` passed in) so the chat service, the widget's config and the tests
share one definition of what a chat customer may send.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from helpline.domain.customers import check_language
from helpline.domain.errors import ValidationFailed
from helpline.domain.identities import normalise_email
from helpline.domain.interactions import check_id, check_text

MAX_NAME = 100
MAX_MESSAGE = 5_000  # characters of one chat line; a chat is a conversation, longer text is an attachment
MAX_LEAVE_MESSAGE = 10_000
MAX_ATTACHMENT_BYTES = 1024 * 1024  # 1 MiB: photos of a receipt, a PDF invoice
MAX_FILENAME = 100
TYPING_INTERVAL_SECONDS = 3  # the widget sends "typing" at most this often; listeners show it a little longer
GONE_AFTER_SECONDS = 60  # a customer with no stream and no request for this long has left

# What a chat customer may send, by content (the declared type is never trusted).
ALLOWED_TYPES: dict[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "text/plain": "txt",
}
# Types a browser may show inline from our origin without risk; everything else downloads.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})


@dataclass(frozen=True, slots=True)
class PreChat:
    """The widget's pre-chat form, checked."""

    name: str
    email: str
    language: str
    queue_id: int


def check_prechat(name: object, email: object, language: object, queue_id: object) -> PreChat:
    checked_language = check_language(language) if isinstance(language, str) and language.strip() else None
    if checked_language is None:
        raise ValidationFailed("language is required (a tag such as en or fr-CA)", field="language")
    if not isinstance(email, str):
        raise ValidationFailed("email is not a valid email address", field="email")
    return PreChat(
        name=check_text(name, "name", MAX_NAME),
        email=normalise_email(email, "email"),
        language=checked_language,
        queue_id=check_id(queue_id, "queue_id"),
    )


def check_message(body: object, field: str = "body", limit: int = MAX_MESSAGE) -> str:
    """One chat line: 1 to `limit` characters, line breaks allowed, no control characters."""
    return check_text(body, field, limit, multiline=True)


# --- attachments ------------------------------------------------------------------------------


def sniff(data: bytes) -> str | None:
    """The allowed content type these bytes really are, or None (magic numbers; text must be clean UTF-8)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if _is_plain_text(data):
        return "text/plain"
    return None


def _is_plain_text(data: bytes) -> bool:
    if not data:
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    # Markup is not plain text: a browser told "text/plain" will not run it, but a careless
    # viewer might, and nobody sends HTML to a support chat on purpose.
    head = text.lstrip()[:64].lower()
    if head.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script")):
        return False
    return all(ch in "\t\n\r\f" or (ch.isprintable() and ch != "\x7f") for ch in text)


def check_attachment(data: bytes, declared_name: object) -> tuple[str, str]:
    """(safe filename, real content type) of an upload, or ValidationFailed on the `file` field."""
    if not data:
        raise ValidationFailed("the file is empty", field="file")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed(f"files may be at most {MAX_ATTACHMENT_BYTES // 1024} KiB", field="file")
    content_type = sniff(data)
    if content_type is None:
        allowed = ", ".join(sorted(ALLOWED_TYPES.values()))
        raise ValidationFailed(f"this kind of file is not accepted; send {allowed}", field="file")
    return safe_filename(declared_name, content_type), content_type


_UNSAFE = re.compile(r"[^\w .()+-]+", re.UNICODE)


def safe_filename(declared: object, content_type: str) -> str:
    """A name that is safe to store and to put in a Content-Disposition header: the last path part
    only, no control or odd characters, no leading dots, and the extension of the real type."""
    raw = declared if isinstance(declared, str) else ""
    base = re.split(r"[\\/]", raw)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if ch.isprintable())
    base = _UNSAFE.sub("_", base).strip(" ._")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(" ._")[: MAX_FILENAME - 5] or "attachment"
    return f"{stem}.{ALLOWED_TYPES[content_type]}"


def attachment_view(row: Any) -> dict[str, Any]:
    """What a message lists about one of its files."""
    return {"id": row.id, "filename": row.filename, "content_type": row.content_type, "size": row.size}
