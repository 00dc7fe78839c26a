"""Media URLs and downloads without services: signed URLs, the Content-Disposition header, byte ranges."""

from __future__ import annotations

import pytest

from query_api.routes.media import content_disposition, parse_range
from shared.media_urls import MediaSigner
from tests.unit.media_helpers import MEDIA_ID

# -- signed URLs -------------------------------------------------------------------------------------------------

NOW = 1_800_000_000


def _parts(url: str) -> tuple[str, int, str]:
    path, _, query = url.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&"))
    return path, int(params["exp"]), params["sig"]


def test_signed_urls_verify_until_they_expire() -> None:
    signer = MediaSigner.from_secret("s" * 40, ttl_seconds=3600)
    path, exp, sig = _parts(signer.url(MEDIA_ID, now=NOW))
    assert path == f"/api/media/{MEDIA_ID}"
    assert NOW + 3600 <= exp <= NOW + 7200
    assert signer.verify(MEDIA_ID, "original", exp, sig, now=NOW)
    assert signer.verify(MEDIA_ID, "original", exp, sig, now=exp)
    assert not signer.verify(MEDIA_ID, "original", exp, sig, now=exp + 1)
    # Within one TTL window the URL is the same string (browser caches hit).
    assert signer.url(MEDIA_ID, now=NOW) == signer.url(MEDIA_ID, now=NOW + 1)


def test_signatures_bind_id_variant_expiry_and_key() -> None:
    signer = MediaSigner.from_secret("s" * 40, ttl_seconds=3600)
    _, exp, sig = _parts(signer.url(MEDIA_ID, now=NOW))
    other_id = "f" * 32
    assert not signer.verify(other_id, "original", exp, sig, now=NOW)
    assert not signer.verify(MEDIA_ID, "thumbnail", exp, sig, now=NOW)
    assert not signer.verify(MEDIA_ID, "original", exp + 3600, sig, now=NOW)
    assert not signer.verify(MEDIA_ID, "original", exp, sig[:-1] + ("0" if sig[-1] != "0" else "1"), now=NOW)
    assert not MediaSigner.from_secret("t" * 40, 3600).verify(MEDIA_ID, "original", exp, sig, now=NOW)
    thumb_path, texp, tsig = _parts(signer.url(MEDIA_ID, "thumbnail", now=NOW))
    assert thumb_path.endswith("/thumbnail") and signer.verify(MEDIA_ID, "thumbnail", texp, tsig, now=NOW)


def test_message_payloads_get_urls_and_others_are_untouched() -> None:
    signer = MediaSigner.from_secret("s" * 40, ttl_seconds=60)
    text = {"id": "m1", "type": "text", "media": None}
    assert signer.message(text) is text
    meta = {"id": MEDIA_ID, "name": "a.png", "size": 1, "mime": "image/png", "kind": "image", "width": 1, "height": 1}
    served = signer.message({"id": "m2", "type": "image", "media": meta}, now=NOW)
    assert served["media"]["url"].startswith(f"/api/media/{MEDIA_ID}?exp=")
    assert served["media"]["thumbnail_url"].startswith(f"/api/media/{MEDIA_ID}/thumbnail?exp=")
    assert "url" not in meta  # the stored payload is not changed
    document = signer.media({**meta, "kind": "file", "mime": "application/pdf"}, now=NOW)
    assert document is not None and document["thumbnail_url"] is None
    assert signer.avatar(None) is None
    assert "/thumbnail?" in str(signer.avatar(MEDIA_ID))


# -- download headers --------------------------------------------------------------------------------------------


def test_content_disposition_is_safe_and_keeps_the_exact_name() -> None:
    header = content_disposition('évil";\r\nX-Injected: 1/..\\report.pdf', inline=False)
    assert header.startswith('attachment; filename="')
    assert "\r" not in header and "\n" not in header
    ascii_part = header.split('filename="', 1)[1].split('"', 1)[0]
    assert all(32 <= ord(c) < 127 for c in ascii_part) and '"' not in ascii_part and "\\" not in ascii_part
    assert "filename*=UTF-8''%C3%A9vil%22%3B%0D%0AX-Injected%3A%201%2F..%5Creport.pdf" in header
    assert content_disposition("a.png", inline=True).startswith('inline; filename="a.png"')


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-10", (990, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=0-0", (0, 0)),
        ("bytes=-5000", (0, 999)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file is a valid answer
        ("items=0-1", None),
    ],
)
def test_ranges(header: str, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize(
    "header", ["bytes=1000-", "bytes=5000-6000", "bytes=50-10", "bytes=-0", "bytes=x-y", "bytes=-"]
)
def test_unsatisfiable_ranges_are_416(header: str) -> None:
    with pytest.raises(Exception) as error:
        parse_range(header, 1000)
    assert getattr(error.value, "status_code", None) == 416
    assert error.value.headers == {"Content-Range": "bytes */1000"}  # type: ignore[attr-defined]


def test_urls_claiming_a_longer_life_than_we_sign_are_refused() -> None:
    # Same key, signed when the TTL was longer (or forged with a leaked key): more than two TTLs ahead is refused.
    _, exp, sig = _parts(MediaSigner.from_secret("s" * 40, ttl_seconds=12 * 3600).url(MEDIA_ID, now=NOW))
    assert exp > NOW + 2 * 3600
    assert not MediaSigner.from_secret("s" * 40, ttl_seconds=3600).verify(MEDIA_ID, "original", exp, sig, now=NOW)
