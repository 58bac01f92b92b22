"""Web chat rules without a database: the pre-chat form, file sniffing and safe file names."""

from __future__ import annotations

import pytest

from helpline.domain import chat as rules
from helpline.domain.errors import ValidationFailed


def test_prechat_form_is_normalised() -> None:
    form = rules.check_prechat("  Dana Doe ", "Dana@Example.COM", "fr-ca", 7)
    assert form == rules.PreChat("Dana Doe", "dana@example.com", "fr-CA", 7)


@pytest.mark.parametrize(
    ("name", "email", "language", "queue_id", "field"),
    [
        ("", "a@b.co", "en", 1, "name"),
        ("x" * 101, "a@b.co", "en", 1, "name"),
        ("D\x00", "a@b.co", "en", 1, "name"),
        ("Dana", "nope", "en", 1, "email"),
        ("Dana", None, "en", 1, "email"),
        ("Dana", "a@b.co", "", 1, "language"),
        ("Dana", "a@b.co", "english please", 1, "language"),
        ("Dana", "a@b.co", "en", 0, "queue_id"),
        ("Dana", "a@b.co", "en", True, "queue_id"),
        ("Dana", "a@b.co", "en", "1", "queue_id"),
    ],
)
def test_prechat_form_refusals_name_the_field(
    name: object, email: object, language: object, queue_id: object, field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        rules.check_prechat(name, email, language, queue_id)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"GIF87a....", "image/gif"),
        (b"%PDF-1.4\n", "application/pdf"),
        ("Grüße aus Köln\r\n\tok".encode(), "text/plain"),
        (b"\xef\xbb\xbfwith a BOM", "text/plain"),
        (b"<html><body>hi</body></html>", None),
        (b"  <!DOCTYPE html>", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"<?xml version='1.0'?>", None),
        (b"MZ\x90\x00", None),
        (b"PK\x03\x04", None),
        (b"text with a \x00 NUL", None),
        (b"\xff\xfe\x00\x00", None),
        (b"", None),
    ],
)
def test_sniff_reads_the_content_not_the_name(data: bytes, expected: str | None) -> None:
    assert rules.sniff(data) == expected


@pytest.mark.parametrize(
    ("declared", "content_type", "expected"),
    [
        ("receipt.png", "image/png", "receipt.png"),
        ("../../etc/passwd", "text/plain", "passwd.txt"),
        ("C:\\Users\\dana\\scan.JPG", "image/jpeg", "scan.jpg"),
        ("invoice.pdf.exe", "application/pdf", "invoice.pdf.pdf"),
        (".htaccess", "text/plain", "htaccess.txt"),
        ("...", "image/gif", "attachment.gif"),
        ("", "image/gif", "attachment.gif"),
        (None, "image/png", "attachment.png"),
        ('a"b;c\r\nd.png', "image/png", "a_b_cd.png"),
        ("日本語のファイル.png", "image/png", "日本語のファイル.png"),
        ("x" * 300 + ".png", "image/png", "x" * 95 + ".png"),
    ],
)
def test_safe_filename(declared: object, content_type: str, expected: str) -> None:
    assert rules.safe_filename(declared, content_type) == expected


def test_check_attachment_limits() -> None:
    assert rules.check_attachment(b"%PDF-1.7", "a.pdf") == ("a.pdf", "application/pdf")
    big = b"\x89PNG\r\n\x1a\n" + b"\x00" * rules.MAX_ATTACHMENT_BYTES
    for data in (big, b"", b"<html>"):
        with pytest.raises(ValidationFailed) as error:
            rules.check_attachment(data, "x.png")
        assert error.value.field == "file"
    exactly = b"\x89PNG\r\n\x1a\n" + b"\x00" * (rules.MAX_ATTACHMENT_BYTES - 8)
    assert rules.check_attachment(exactly, "x.png")[1] == "image/png"
