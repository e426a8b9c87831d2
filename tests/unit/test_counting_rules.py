"""Rules of counting: variance, recount threshold, the recounter, accuracy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stockyard.domain.counting import accuracy, check_recounter, needs_recount, variance
from stockyard.domain.errors import Forbidden


def line(counted: str | None, book: str | None, recount: str | None = None) -> dict[str, Decimal | None]:
    return {"counted_quantity": None if counted is None else Decimal(counted),
            "book_at_count": None if book is None else Decimal(book),
            "recount_quantity": None if recount is None else Decimal(recount)}


def test_variance_uses_the_recount_when_there_is_one() -> None:
    assert variance(line("48", "50")) == -2
    assert variance(line("48", "50", recount="50")) == 0
    assert variance(line("3", "0")) == 3


def test_recount_threshold() -> None:
    assert needs_recount(line("48", "50"), Decimal(0))
    assert not needs_recount(line("48", "50"), Decimal(2))
    assert needs_recount(line("47.5", "50"), Decimal(2))
    assert not needs_recount(line(None, "50"), Decimal(0))


def test_the_recount_is_someone_else_s() -> None:
    check_recounter("olga", "oscar")
    with pytest.raises(Forbidden) as caught:
        check_recounter("olga", "olga")
    assert caught.value.code == "same_counter"


def test_accuracy() -> None:
    result = accuracy([(Decimal(8), Decimal(8)), (Decimal(3), Decimal(0))])
    assert result == {"lines": 2, "exact_lines": 1, "line_accuracy": Decimal("0.5000"),
                      "quantity_accuracy": Decimal("0.6250")}
    assert accuracy([])["line_accuracy"] is None
    assert accuracy([(Decimal(5), Decimal(0))])["quantity_accuracy"] == 0
