"""The one posting service every flow calls: movements and allocations, checked and written atomically."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, select

from stockyard.db import ledger as repo
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.db.ledger import WrittenPosting
from stockyard.domain.errors import DomainError, NotFound
from stockyard.domain.quantity import MAX_DECIMALS, check_quantity
from stockyard.domain.stock import (
    AllocationChange,
    Bucket,
    Movement,
    PostingRequest,
    StockItem,
    StockStatus,
    check_posting,
    reversal_of,
)


def post_in(conn: Connection, request: PostingRequest) -> WrittenPosting:
    """Check and write a posting inside the caller's transaction (flows compose it with their own rows)."""
    facts = repo.facts_for(conn, request)
    checked = check_posting(request, facts)
    return repo.write_posting(conn, checked, facts)


def post(db: Database, request: PostingRequest) -> WrittenPosting:
    """Post one movement or a batch in its own transaction, retried on deadlock or serialization failure."""
    return db.write(lambda conn: post_in(conn, request))


def allocate(db: Database, item: StockItem, bucket: Bucket, quantity: Decimal, *, user: str,
             doc_type: str | None = None, doc_ref: str | None = None) -> WrittenPosting:
    """Reserve ``quantity`` of available stock in one bucket; refused rather than ever over-allocating."""
    return _one_allocation(db, "ALLOCATE", item, bucket, quantity, user, doc_type, doc_ref)


def release(db: Database, item: StockItem, bucket: Bucket, quantity: Decimal, *, user: str,
            doc_type: str | None = None, doc_ref: str | None = None) -> WrittenPosting:
    """Give back ``quantity`` of an allocation; never more than is allocated."""
    return _one_allocation(db, "RELEASE", item, bucket, quantity, user, doc_type, doc_ref)


def allocate_in(conn: Connection, item: StockItem, bucket: Bucket, quantity: Decimal, *, user: str,
                doc_type: str | None = None, doc_ref: str | None = None) -> WrittenPosting:
    """``allocate`` inside the caller's transaction (to write an audit entry or a document with it)."""
    return _allocation_in(conn, "ALLOCATE", item, bucket, quantity, user, doc_type, doc_ref)


def release_in(conn: Connection, item: StockItem, bucket: Bucket, quantity: Decimal, *, user: str,
               doc_type: str | None = None, doc_ref: str | None = None) -> WrittenPosting:
    """``release`` inside the caller's transaction."""
    return _allocation_in(conn, "RELEASE", item, bucket, quantity, user, doc_type, doc_ref)


def _one_allocation(db: Database, reason: str, item: StockItem, bucket: Bucket, quantity: Decimal, user: str,
                    doc_type: str | None, doc_ref: str | None) -> WrittenPosting:
    return db.write(lambda conn: _allocation_in(conn, reason, item, bucket, quantity, user, doc_type, doc_ref))


def _allocation_in(conn: Connection, reason: str, item: StockItem, bucket: Bucket, quantity: Decimal, user: str,
                   doc_type: str | None, doc_ref: str | None) -> WrittenPosting:
    # The sign says reserve or release, so a caller's quantity must be positive either way.
    check_quantity(quantity, decimals=MAX_DECIMALS)
    signed = quantity if reason == "ALLOCATE" else -quantity
    request = PostingRequest(reason, allocations=[AllocationChange(item, bucket, signed)], doc_type=doc_type,
                             doc_ref=doc_ref, user=user)
    try:
        return post_in(conn, request)
    except DomainError as error:
        if error.field and error.field.startswith("allocations[0]"):
            error.field = error.field.removeprefix("allocations[0]").lstrip(".") or None
        raise


def reverse(db: Database, posting_id: int, *, user: str) -> WrittenPosting:
    """Correct a posting by its exact opposite; a posting is reversed at most once."""
    return db.write(lambda conn: reverse_in(conn, posting_id, user=user))


def reverse_in(conn: Connection, posting_id: int, *, user: str) -> WrittenPosting:
    """``reverse`` inside the caller's transaction."""
    original = conn.execute(select(t.posting).where(t.posting.c.id == posting_id)).first()
    if original is None:
        raise NotFound(f"posting {posting_id} does not exist", field="posting_id")
    movements = [
        Movement(StockItem(r.owner_id, r.sku_id, r.lot_id, r.serial),
                 Bucket(r.from_location_id, r.from_container_id, StockStatus(r.from_status)),
                 Bucket(r.to_location_id, r.to_container_id, StockStatus(r.to_status)), r.quantity)
        for r in conn.execute(select(t.movement).where(t.movement.c.posting_id == posting_id)
                              .order_by(t.movement.c.id))]
    allocations = [
        AllocationChange(StockItem(r.owner_id, r.sku_id, r.lot_id, r.serial),
                         Bucket(r.location_id, r.container_id, StockStatus(r.status)), -r.quantity)
        for r in conn.execute(select(t.allocation_entry).where(t.allocation_entry.c.posting_id == posting_id)
                              .order_by(t.allocation_entry.c.id))]
    request = PostingRequest("REVERSAL", reversal_of(movements), allocations, original.doc_type,
                             original.doc_ref, user, reverses_posting_id=posting_id)
    return post_in(conn, request)
