"""Answers kept in Redis by hall.cache.cached across releases: a deploy replaces the web's processes one by
one, so processes of two releases share the cache for a while; neither may answer 500 on what the other
kept (seen in the province day: every ticket read failed across a change of queueing.estimates.Snapshot)."""

import sys
from dataclasses import dataclass

import pytest

from hall import cache as kept

pytestmark = pytest.mark.django_db  # each test starts with an empty cache (tests/conftest.py)


@dataclass(frozen=True)
class Kept:
    figure: int


@pytest.fixture
def computed():
    calls = []

    def compute(figure):
        def run():
            calls.append(figure)
            return Kept(figure)

        return run

    compute.calls = calls
    return compute


def test_an_answer_is_kept_for_this_release(computed):
    assert kept.cached("figures:1", 60, computed(1)) == Kept(1)
    assert kept.cached("figures:1", 60, computed(2)) == Kept(1)  # kept: not computed again
    assert computed.calls == [1]


def test_an_answer_kept_by_another_release_is_not_read(computed, monkeypatch):
    kept.cached("figures:2", 60, computed(1))
    monkeypatch.setattr(kept, "release", lambda: "a-later-release")

    assert kept.cached("figures:2", 60, computed(2)) == Kept(2)
    assert computed.calls == [1, 2]


def test_an_answer_that_cannot_be_read_back_is_computed_again(computed, monkeypatch, caplog):
    kept.cached("figures:3", 60, computed(1))
    monkeypatch.delattr(sys.modules[__name__], "Kept")  # its class gone, as in another release's code

    found = kept.cached("figures:3", 60, lambda: "computed again")

    assert found == "computed again"
    assert "cache not readable (figures): AttributeError" in caplog.text


def test_forget_drops_this_releases_answer(computed):
    kept.cached("figures:4", 60, computed(1))
    kept.forget("figures:4")
    assert kept.cached("figures:4", 60, computed(2)) == Kept(2)


def test_the_release_is_the_same_within_a_process_and_names_the_code():
    assert kept.release() == kept.release()
    assert len(kept.release()) == 16
