"""The sign-in throttle holds under a burst of parallel guesses (PostgreSQL, real concurrency)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from stockyard.config import get_settings
from stockyard.db.engine import Database
from stockyard.domain.errors import Throttled, Unauthenticated
from stockyard.services import auth
from tests.helpers import make_user


@pytest.fixture
def three_tries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    get_settings.cache_clear()
    monkeypatch.setenv("STOCKYARD_LOGIN_FAILURES_PER_ACCOUNT", "3")
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_parallel_guesses_never_get_more_tries_than_the_limit(pg_db: Database, three_tries: None) -> None:
    make_user(pg_db, "mia", password="the-right-long-password")

    def guess(n: int) -> str:
        try:
            auth.login(pg_db, "mia", f"wrong-guess-{n}", address=f"10.0.0.{n}")
        except Unauthenticated:
            return "checked"
        except Throttled:
            return "throttled"
        return "signed in"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = Counter(pool.map(guess, range(24)))
    assert outcomes == {"checked": 3, "throttled": 21}
