"""The audit log's hash chain: canonical JSON, how an entry's hash is made, and how a chain is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS_HASH = "0" * 64

# The columns an entry's hash covers, in the order they are written; ``hash`` itself is not among them.
HASHED_FIELDS = ("seq", "at", "actor", "roles", "client", "action", "object_type", "object_id", "before", "after",
                 "request_id", "prev_hash")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def canonical_json(value: Any) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 kept, exact decimals as strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain,
                      allow_nan=False)


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the hashed fields (which include the previous entry's hash)."""
    payload = canonical_json({name: entry.get(name) for name in HASHED_FIELDS})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Anchor:
    """A head of the chain kept somewhere else: the entry numbered ``seq`` must still have this hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.problem}"


def check_chain(entries: Iterable[Mapping[str, Any]], anchors: Sequence[Anchor] = ()) -> ChainProblem | None:
    """The first problem in a chain read in ``seq`` order, or None.

    Catches an edited entry (its hash no longer matches), a removed or reordered entry (a gap in the
    sequence or a broken link). A chain cut short at the end, or rewritten from an edit onwards, is still a
    valid chain; only an anchor taken earlier shows it."""
    expected_seq, prev = 1, GENESIS_HASH
    by_seq = {a.seq: a for a in anchors}
    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq:
            return ChainProblem(expected_seq, f"missing: the next entry found is {seq}")
        if entry["prev_hash"] != prev:
            return ChainProblem(seq, "does not link to the entry before it")
        if entry_hash(entry) != entry["hash"]:
            return ChainProblem(seq, "content does not match its hash (edited)")
        anchor = by_seq.pop(seq, None)
        if anchor is not None and anchor.hash != entry["hash"]:
            return ChainProblem(seq, f"differs from the anchor taken at entry {seq} (rewritten)")
        expected_seq, prev = seq + 1, entry["hash"]
    if by_seq:
        missing = min(by_seq)
        return ChainProblem(missing, f"the log ends at entry {expected_seq - 1}, before the anchor at {missing} "
                                     "(truncated)")
    return None
