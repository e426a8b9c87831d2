"""The audit log's hash chain without a database: canonical JSON, entry hashes, and chain checks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from stockyard.domain.audit import (
    GENESIS_HASH,
    HASHED_FIELDS,
    Anchor,
    ChainProblem,
    canonical_json,
    check_chain,
    entry_hash,
)


def test_canonical_json_sorts_keys_at_every_level_and_has_no_spaces() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": None}}) == '{"a":{"c":null,"d":[1,2]},"b":1}'
    assert canonical_json({"a": 1, "b": 2}) == canonical_json({"b": 2, "a": 1})


@pytest.mark.parametrize(("value", "text"), [
    (Decimal("1.50"), '"1.5"'),
    (Decimal("1.5"), '"1.5"'),
    (Decimal("0.000001"), '"0.000001"'),  # never 1E-6
    (Decimal("1E+3"), '"1000"'),
    (Decimal("12345678901234.123456"), '"12345678901234.123456"'),  # exact, no float on the way
    (Decimal("-2.000"), '"-2"'),
])
def test_decimals_are_exact_strings_one_text_per_value(value: Decimal, text: str) -> None:
    assert canonical_json(value) == text


def test_canonical_json_keeps_unicode_and_writes_times_and_sets_one_way() -> None:
    at = datetime(2026, 11, 23, 14, 21, 51, 428440, tzinfo=UTC)
    assert canonical_json({"name": "Åsa 仓库"}) == '{"name":"Åsa 仓库"}'
    assert canonical_json({"at": at}) == '{"at":"2026-11-23T14:21:51.428440+00:00"}'
    assert canonical_json({"ids": {3, 1, 2}}) == '{"ids":[1,2,3]}'


def test_canonical_json_refuses_what_has_no_single_text() -> None:
    with pytest.raises(ValueError, match="Out of range float"):
        canonical_json({"x": float("nan")})
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


def _entry(seq: int = 1, prev: str = GENESIS_HASH, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "seq": seq, "at": f"2026-11-23T10:00:{seq % 60:02d}.000000+00:00", "actor": "alice",
        "roles": "warehouse_manager", "client": None, "action": "sku.update", "object_type": "sku",
        "object_id": str(seq), "before": '{"name":"old"}', "after": '{"name":"new"}', "request_id": "r1",
        "prev_hash": prev, **changes}
    entry["hash"] = entry_hash(entry)
    return entry


def test_entry_hash_is_sha256_of_the_canonical_hashed_fields() -> None:
    # Pins the format: a change here would make every stored chain fail verification.
    entry = _entry()
    payload = ('{"action":"sku.update","actor":"alice","after":"{\\"name\\":\\"new\\"}","at":'
               '"2026-11-23T10:00:01.000000+00:00","before":"{\\"name\\":\\"old\\"}","client":null,'
               f'"object_id":"1","object_type":"sku","prev_hash":"{GENESIS_HASH}","request_id":"r1",'
               '"roles":"warehouse_manager","seq":1}')
    assert entry["hash"] == hashlib.sha256(payload.encode()).hexdigest()


@pytest.mark.parametrize("field", HASHED_FIELDS)
def test_entry_hash_changes_when_any_hashed_field_changes(field: str) -> None:
    entry = _entry()
    changed = {**entry, field: 2 if field == "seq" else "something else"}
    assert entry_hash(changed) != entry["hash"]


def test_entry_hash_ignores_the_stored_hash_and_key_order() -> None:
    entry = _entry()
    assert entry_hash({**entry, "hash": "f" * 64}) == entry["hash"]
    assert entry_hash(dict(reversed(list(entry.items())))) == entry["hash"]


def _chain(length: int) -> list[dict[str, Any]]:
    chain: list[dict[str, Any]] = []
    for seq in range(1, length + 1):
        chain.append(_entry(seq, chain[-1]["hash"] if chain else GENESIS_HASH))
    return chain


def _rehash_from(chain: list[dict[str, Any]], index: int) -> None:
    """What a careful forger does after an edit: recompute every hash from there on."""
    for i in range(index, len(chain)):
        chain[i]["prev_hash"] = chain[i - 1]["hash"] if i else GENESIS_HASH
        chain[i]["hash"] = entry_hash(chain[i])


def test_an_intact_chain_and_an_empty_one_hold() -> None:
    assert check_chain([]) is None
    assert check_chain(_chain(5)) is None
    assert check_chain(iter(_chain(5))) is None  # any iterable, read once


def test_an_edited_entry_is_named() -> None:
    chain = _chain(5)
    chain[2]["actor"] = "mallory"
    assert check_chain(chain) == ChainProblem(3, "content does not match its hash (edited)")
    assert str(check_chain(chain)) == "entry 3: content does not match its hash (edited)"


def test_an_edited_hash_breaks_the_next_link() -> None:
    chain = _chain(5)
    chain[2]["hash"] = "f" * 64
    assert check_chain(chain) == ChainProblem(3, "content does not match its hash (edited)")
    chain[2]["hash"] = entry_hash(chain[2])  # edit and rehash one entry only
    chain[2]["actor"] = "mallory"
    chain[2]["hash"] = entry_hash(chain[2])
    assert check_chain(chain) == ChainProblem(4, "does not link to the entry before it")


@pytest.mark.parametrize("removed", [0, 2, 4])
def test_a_removed_entry_is_named(removed: int) -> None:
    chain = _chain(5)
    del chain[removed]
    problem = check_chain(chain)
    if removed == 4:
        assert problem is None  # the last one: only an anchor shows it (below)
    else:
        assert problem is not None and problem.seq == removed + 1 and problem.problem.startswith("missing")


def test_reordered_entries_do_not_link() -> None:
    chain = _chain(5)
    third, fourth = chain[2], chain[3]
    chain[2] = {**fourth, "seq": 3}
    chain[3] = {**third, "seq": 4}
    assert check_chain(chain) == ChainProblem(3, "does not link to the entry before it")


def test_a_wrong_first_link_is_caught() -> None:
    chain = _chain(2)
    chain[0]["prev_hash"] = "1" * 64
    chain[0]["hash"] = entry_hash(chain[0])
    assert check_chain(chain) == ChainProblem(1, "does not link to the entry before it")


def test_truncation_needs_an_anchor() -> None:
    chain = _chain(6)
    anchor = Anchor(6, chain[5]["hash"])
    assert check_chain(chain, [anchor]) is None
    del chain[4:]
    assert check_chain(chain) is None
    problem = check_chain(chain, [anchor])
    assert problem is not None and problem.seq == 6 and "(truncated)" in problem.problem
    assert check_chain([], [anchor]) is not None


def test_a_rewrite_needs_an_anchor_at_or_after_the_edit() -> None:
    chain = _chain(6)
    before, after = Anchor(2, chain[1]["hash"]), Anchor(5, chain[4]["hash"])
    chain[2]["after"] = '{"name":"forged"}'
    _rehash_from(chain, 2)
    assert check_chain(chain) is None
    assert check_chain(chain, [before]) is None
    assert check_chain(chain, [before, after]) == ChainProblem(
        5, "differs from the anchor taken at entry 5 (rewritten)")


def test_the_first_problem_wins() -> None:
    chain = _chain(6)
    chain[1]["actor"] = "x"
    del chain[4]
    assert check_chain(chain) == ChainProblem(2, "content does not match its hash (edited)")
