"""The receiver's check shown in docs/webhooks.md accepts what the delivery signs and nothing else."""

from webhooks.receiver_example import verify
from webhooks.signing import headers

SECRET = "s3cret"
BODY = b'{"event":"ticket.called","ticket":{"number":"A001"}}'
NOW = 1_800_000_000


def signed(body=BODY, secret=SECRET, timestamp=NOW):
    return headers(secret=secret, event="ticket.called", delivery_id=7, timestamp=timestamp, body=body)


def test_a_delivery_signed_with_the_secret_is_accepted():
    assert verify(SECRET, signed(), BODY, now=NOW + 10) is True


def test_a_wrong_secret_is_refused():
    assert verify(SECRET, signed(secret="guess"), BODY, now=NOW) is False


def test_a_changed_body_is_refused():
    assert verify(SECRET, signed(), BODY.replace(b"A001", b"A002"), now=NOW) is False


def test_an_old_delivery_replayed_is_refused():
    assert verify(SECRET, signed(), BODY, now=NOW + 301) is False


def test_a_changed_timestamp_is_refused():
    forged = {**signed(), "X-Chuangkou-Timestamp": str(NOW + 60)}

    assert verify(SECRET, forged, BODY, now=NOW + 60) is False


def test_missing_or_garbled_headers_are_refused():
    assert [
        verify(SECRET, {}, BODY, now=NOW),
        verify(SECRET, {**signed(), "X-Chuangkou-Timestamp": "soon"}, BODY, now=NOW),
        verify(SECRET, {**signed(), "X-Chuangkou-Signature": "md5=abc"}, BODY, now=NOW),
    ] == [False, False, False]


def test_the_signature_is_the_documented_hmac():
    import hashlib
    import hmac

    expected = hmac.new(b"s3cret", b"1800000000." + BODY, hashlib.sha256).hexdigest()

    assert signed()["X-Chuangkou-Signature"] == f"sha256={expected}"


def test_the_documented_check_is_the_tested_one():
    import inspect
    import re
    from pathlib import Path

    from webhooks import receiver_example

    doc = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    [block] = re.findall(r"```python\n(.*?)```", doc, re.S)

    assert (
        inspect.getsource(receiver_example.verify).replace(
            '    """True if the body was signed with `secret` at a time within `tolerance` of `now`."""\n', ""
        )
        in block
    )
