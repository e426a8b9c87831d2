"""The schema. Master data, the append-only ledger (postings, movements, allocation entries) and its balance
projection. Migrations in ``db/migrations`` create exactly this on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

from stockyard.db.types import Exact, UtcDateTime

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity for the ledger.
LedgerId = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _stamps() -> list[Column[object]]:
    return [
        Column("active", Boolean, nullable=False, server_default=text("true"), default=True),
        Column("created_at", UtcDateTime, nullable=False, server_default=func.now()),
        Column("updated_at", UtcDateTime, nullable=False, server_default=func.now()),
    ]


warehouse = Table(
    "warehouse", metadata, _id(),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("address", JSON, nullable=True),
    Column("timezone", String(64), nullable=False, server_default="UTC", default="UTC"),
    *_stamps(),
)

zone = Table(
    "zone", metadata, _id(),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    *_stamps(),
    UniqueConstraint("warehouse_id", "code"),
)

location = Table(
    "location", metadata, _id(),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("zone_id", ForeignKey("zone.id"), nullable=True),
    Column("code", String(64), nullable=False),
    Column("kind", String(16), nullable=False, default="storage"),
    # Set only on virtual locations (supplier, customer, adjustment, production, in_transit, scrap).
    Column("virtual_kind", String(16), nullable=True),
    Column("aisle", String(16)), Column("bay", String(16)), Column("level", String(16)),
    Column("position", String(16)),
    Column("x", Exact), Column("y", Exact),
    Column("pick_sequence", Integer),
    Column("max_volume", Exact), Column("max_weight", Exact),
    Column("max_units", Exact), Column("max_pallets", Integer),
    Column("mix_skus", Boolean, nullable=False, server_default=text("true"), default=True),
    Column("mix_lots", Boolean, nullable=False, server_default=text("true"), default=True),
    Column("status", String(16), nullable=False, server_default="active", default="active"),
    *_stamps(),
    UniqueConstraint("warehouse_id", "code"),
    Index("ix_location_zone", "zone_id"),
)

owner = Table(
    "owner", metadata, _id(),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("contact", JSON),
    # Inbound policy (a SKU may override the first three).
    Column("over_receipt_pct", Exact, nullable=False, server_default="0", default=0),
    Column("min_shelf_life_days", Integer),
    Column("qc_required", Boolean, nullable=False, server_default=text("false"), default=False),
    Column("qc_receipt_types", JSON),  # receipt types whose stock always goes to QC, e.g. ["customer_return"]
    Column("blind_receiving", Boolean, nullable=False, server_default=text("false"), default=False),
    # Outbound: what happens to what could not be allocated or picked: backorder (stays open) | short (closed).
    Column("shortage_policy", String(16), nullable=False, server_default="backorder", default="backorder"),
    *_stamps(),
)

sku = Table(
    "sku", metadata, _id(),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("specification", String(200)),
    Column("base_uom", String(3), nullable=False, default="C62"),
    Column("decimals", Integer, nullable=False, server_default="0", default=0),
    Column("length", Exact), Column("width", Exact), Column("height", Exact),
    Column("volume", Exact), Column("weight", Exact),
    Column("unit_cost", Exact),  # value of one base unit: adjustments above a value wait for approval
    Column("category", String(64)),
    Column("abc_class", String(1)),
    Column("lot_control", Boolean, nullable=False, server_default=text("false"), default=False),
    Column("expiry_control", Boolean, nullable=False, server_default=text("false"), default=False),
    Column("shelf_life_days", Integer),
    Column("serial_control", Boolean, nullable=False, server_default=text("false"), default=False),
    Column("storage_condition", String(32)),
    # Overrides of the owner's inbound policy; NULL follows the owner.
    Column("over_receipt_pct", Exact),
    Column("min_shelf_life_days", Integer),
    Column("qc_required", Boolean),
    *_stamps(),
    UniqueConstraint("owner_id", "code"),
)

sku_pack = Table(
    "sku_pack", metadata, _id(),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("level", String(8), nullable=False),
    Column("uom", String(3), nullable=False),
    Column("factor", Exact, nullable=False),
    Column("decimals", Integer, nullable=False, server_default="0", default=0),
    UniqueConstraint("sku_id", "level"),
)

sku_barcode = Table(
    "sku_barcode", metadata, _id(),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("barcode", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("pack_level", String(8), nullable=False, server_default="each", default="each"),
    UniqueConstraint("owner_id", "barcode"),
    Index("ix_sku_barcode_sku", "sku_id"),
)

lot = Table(
    "lot", metadata, _id(),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("number", String(64), nullable=False),
    Column("production_date", Date),
    Column("expiry_date", Date),
    Column("attributes", JSON),
    *_stamps(),
    UniqueConstraint("sku_id", "number"),
)


def _party(name: str) -> Table:
    return Table(
        name, metadata, _id(),
        Column("owner_id", ForeignKey("owner.id"), nullable=False),
        Column("code", String(32), nullable=False),
        Column("name", String(200), nullable=False),
        Column("contact_name", String(200)), Column("phone", String(64)), Column("email", String(200)),
        Column("address", JSON),
        *_stamps(),
        UniqueConstraint("owner_id", "code"),
    )


supplier = _party("supplier")
customer = _party("customer")

carrier = Table(
    "carrier", metadata, _id(),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("scac", String(8)),
    Column("service_levels", JSON),
    *_stamps(),
)

container = Table(
    "container", metadata, _id(),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("lpn", String(32), nullable=False, unique=True),
    Column("sscc", String(18), unique=True),
    Column("kind", String(16), nullable=False, default="pallet"),
    *_stamps(),
)

# ---------------------------------------------------------------- the ledger

posting = Table(
    "posting", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("reason", String(32), nullable=False),
    Column("doc_type", String(32)),
    Column("doc_ref", String(128)),
    Column("user_name", String(128), nullable=False),
    Column("reverses_posting_id", ForeignKey("posting.id"), unique=True),
    Column("created_at", UtcDateTime, nullable=False, server_default=func.now()),
    Index("ix_posting_doc", "doc_type", "doc_ref"),
)

movement = Table(
    "movement", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("posting_id", ForeignKey("posting.id"), nullable=False),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("serial", String(64)),
    Column("quantity", Exact, nullable=False),
    Column("from_location_id", ForeignKey("location.id"), nullable=False),
    Column("from_container_id", ForeignKey("container.id")),
    Column("from_status", String(16), nullable=False),
    Column("to_location_id", ForeignKey("location.id"), nullable=False),
    Column("to_container_id", ForeignKey("container.id")),
    Column("to_status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False, server_default=func.now()),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    Index("ix_movement_posting", "posting_id"),
    Index("ix_movement_sku_time", "sku_id", "created_at"),
    Index("ix_movement_from", "from_location_id", "created_at"),
    Index("ix_movement_to", "to_location_id", "created_at"),
)

allocation_entry = Table(
    "allocation_entry", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("posting_id", ForeignKey("posting.id"), nullable=False),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("serial", String(64)),
    Column("location_id", ForeignKey("location.id"), nullable=False),
    Column("container_id", ForeignKey("container.id")),
    Column("status", String(16), nullable=False),
    # Positive reserves, negative releases.
    Column("quantity", Exact, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, server_default=func.now()),
    CheckConstraint("quantity <> 0", name="quantity_not_zero"),
    Index("ix_allocation_entry_posting", "posting_id"),
)

balance = Table(
    "balance", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    # owner|sku|lot|serial|location|container|status: one row per stock item and bucket.
    Column("key", String(200), nullable=False, unique=True),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("serial", String(64)),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("location_id", ForeignKey("location.id"), nullable=False),
    Column("container_id", ForeignKey("container.id")),
    Column("status", String(16), nullable=False),
    Column("is_virtual", Boolean, nullable=False),
    Column("on_hand", Exact, nullable=False, server_default="0"),
    Column("allocated", Exact, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime, nullable=False, server_default=func.now()),
    # Invariants 1, 4 and 5 held by the database itself, behind the service's own checks.
    CheckConstraint("is_virtual OR (on_hand >= 0 AND allocated >= 0 AND allocated <= on_hand)",
                    name="physical_not_negative"),
    CheckConstraint("status = 'available' OR allocated = 0", name="allocated_only_available"),
    # on_hand is stored in millionths: 1000000 is one unit.
    CheckConstraint("serial IS NULL OR is_virtual OR on_hand <= 1000000", name="serial_at_most_one"),
    Index("ix_balance_sku_location", "sku_id", "location_id"),
    Index("ix_balance_location", "location_id"),
    Index("ix_balance_owner_wh", "owner_id", "warehouse_id"),
    Index("ix_balance_lot", "lot_id"),
    Index("ix_balance_container", "container_id"),
    # Invariant 4: a serial on hand in one physical place at most.
    Index("uq_balance_serial_in_stock", "sku_id", "serial", unique=True,
          sqlite_where=text("serial IS NOT NULL AND NOT is_virtual AND on_hand > 0"),
          postgresql_where=text("serial IS NOT NULL AND NOT is_virtual AND on_hand > 0")),
)

idempotency_key = Table(
    "idempotency_key", metadata,
    Column("key", String(200), primary_key=True),
    Column("principal", String(128), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # in_progress | done
    Column("response_status", Integer),
    Column("response_body", Text),
    Column("created_at", UtcDateTime, nullable=False, server_default=func.now()),
)

# ---------------------------------------------------------------- access control, audit, approvals

app_user = Table(
    "app_user", metadata, _id(),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("roles", JSON, nullable=False),  # role codes, built-in or custom
    # Data scopes; NULL means every warehouse / zone / owner.
    Column("warehouse_ids", JSON, nullable=True),
    Column("zone_ids", JSON, nullable=True),
    Column("owner_ids", JSON, nullable=True),
    Column("language", String(16), nullable=False, server_default="en", default="en"),
    Column("password_changed_at", UtcDateTime, nullable=False, server_default=func.now()),
    *_stamps(),
)

custom_role = Table(
    "custom_role", metadata, _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("permissions", JSON, nullable=False),
    *_stamps(),
)

user_session = Table(
    "user_session", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the token; the token is never stored
    Column("user_id", ForeignKey("app_user.id"), nullable=False),
    Column("address", String(64)),
    Column("user_agent", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),  # absolute timeout
    Column("ended_at", UtcDateTime),
    Column("end_reason", String(32)),
    Index("ix_user_session_user", "user_id"),
)

login_failure = Table(
    "login_failure", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_login_failure_username_at", "username", "at"),
    Index("ix_login_failure_address_at", "address", "at"),
)

api_client = Table(
    "api_client", metadata, _id(),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # erp | oms | tms | mes | other
    Column("token_prefix", String(16), nullable=False, unique=True),  # shown in lists to tell tokens apart
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("permissions", JSON, nullable=False),
    Column("warehouse_ids", JSON, nullable=True),
    Column("zone_ids", JSON, nullable=True),
    Column("owner_ids", JSON, nullable=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
    Column("created_by", String(64), nullable=False),
    *_stamps(),
)

# The audit log is append-only: the database refuses UPDATE, DELETE and TRUNCATE on it (triggers in the
# migration), and each entry's hash covers the previous one, so an edit anywhere breaks the chain.
audit_entry = Table(
    "audit_entry", metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),  # ISO 8601 UTC, exactly as hashed
    Column("actor", String(64), nullable=False),
    Column("roles", String(400), nullable=False),
    Column("client", String(200)),
    Column("action", String(64), nullable=False),
    Column("object_type", String(64), nullable=False),
    Column("object_id", String(64)),
    Column("before", Text),  # canonical JSON
    Column("after", Text),
    Column("request_id", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_entry_object", "object_type", "object_id"),
)

# One row: the lock every audit append takes, and the sequence and hash it continues from.
audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

approval_request = Table(
    "approval_request", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("summary", String(400), nullable=False),
    Column("warehouse_id", ForeignKey("warehouse.id")),
    Column("owner_id", ForeignKey("owner.id")),
    Column("status", String(16), nullable=False),  # pending | approved | rejected | cancelled
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("decided_by", String(64)),
    Column("decided_at", UtcDateTime),
    Column("decision_note", String(400)),
    Column("result", JSON),
    Index("ix_approval_request_status", "status", "kind"),
)


# ---------------------------------------------------------------- inbound

receipt = Table(
    "receipt", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("external_ref", String(64), nullable=False),
    Column("type", String(24), nullable=False),  # purchase | customer_return | transfer_in | production
    Column("supplier_id", ForeignKey("supplier.id")),
    Column("expected_date", Date),
    Column("status", String(16), nullable=False),  # created | receiving | closed | cancelled
    Column("content_hash", String(64), nullable=False),  # what the outside system sent, for idempotent intake
    Column("note", String(500)),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    UniqueConstraint("owner_id", "external_ref"),
    Index("ix_receipt_warehouse_status", "warehouse_id", "status"),
)

receipt_line = Table(
    "receipt_line", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("receipt_id", ForeignKey("receipt.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("expected_quantity", Exact, nullable=False),  # base units
    Column("ordered_quantity", Exact, nullable=False),  # as ordered, in ordered_uom
    Column("ordered_uom", String(3), nullable=False),
    Column("expected_lot", String(64)),
    Column("expected_expiry", Date),
    Column("expected_serials", JSON),
    Column("received_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("damaged_quantity", Exact, nullable=False, server_default="0", default=0),
    UniqueConstraint("receipt_id", "line_no"),
    Index("ix_receipt_line_sku", "sku_id"),
)

# One row per receiving scan / entry: what came in, where it was put and the posting that booked it.
receipt_event = Table(
    "receipt_event", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("receipt_id", ForeignKey("receipt.id"), nullable=False),
    Column("receipt_line_id", ForeignKey("receipt_line.id"), nullable=False),
    Column("posting_id", ForeignKey("posting.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("serial", String(64)),
    Column("quantity", Exact, nullable=False),
    Column("damaged_quantity", Exact, nullable=False),
    Column("status", String(16), nullable=False),  # the status the good quantity went into: available | qc
    Column("location_id", ForeignKey("location.id"), nullable=False),
    Column("container_id", ForeignKey("container.id")),
    Column("user_name", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_receipt_event_receipt", "receipt_id"),
)

qc_inspection = Table(
    "qc_inspection", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("receipt_id", ForeignKey("receipt.id")),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("location_id", ForeignKey("location.id"), nullable=False),
    Column("container_id", ForeignKey("container.id")),
    Column("quantity", Exact, nullable=False),
    Column("sampled_quantity", Exact, nullable=False),
    Column("result", String(16), nullable=False),  # pass | fail | partial
    Column("passed_quantity", Exact, nullable=False),
    Column("damaged_quantity", Exact, nullable=False),
    Column("returned_quantity", Exact, nullable=False),
    Column("scrapped_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("note", String(500)),
    Column("posting_id", ForeignKey("posting.id"), nullable=False),
    Column("inspector", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_qc_inspection_receipt", "receipt_id"),
)

# The fixed home location (pick face) of a SKU in a warehouse, for the fixed-home putaway policy.
sku_home = Table(
    "sku_home", metadata,
    Column("sku_id", ForeignKey("sku.id"), primary_key=True),
    Column("warehouse_id", ForeignKey("warehouse.id"), primary_key=True),
    Column("location_id", ForeignKey("location.id"), nullable=False),
)

putaway_rule = Table(
    "putaway_rule", metadata, _id(),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("policy", String(24), nullable=False),
    Column("target_zone_id", ForeignKey("zone.id")),
    Column("owner_id", ForeignKey("owner.id")),
    Column("sku_id", ForeignKey("sku.id")),
    Column("category", String(64)),
    Column("abc_class", String(1)),
    Column("storage_condition", String(32)),
    Column("receipt_type", String(24)),
    Column("status", String(16)),
    Column("lot_controlled", Boolean),
    Column("expires_within_days", Integer),
    *_stamps(),
    Index("ix_putaway_rule_warehouse", "warehouse_id", "priority"),
)

# A unit of work for one operator: putaway now; picks, moves, replenishments and counts later.
task = Table(
    "task", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # putaway
    Column("status", String(16), nullable=False),  # open | done | cancelled
    Column("receipt_id", ForeignKey("receipt.id")),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("serial", String(64)),
    Column("stock_status", String(16), nullable=False),
    Column("from_location_id", ForeignKey("location.id"), nullable=False),
    Column("from_container_id", ForeignKey("container.id")),
    Column("quantity", Exact, nullable=False),  # still to do
    Column("done_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("to_location_id", ForeignKey("location.id")),  # the suggestion; planned capacity counts it
    Column("rule_id", ForeignKey("putaway_rule.id")),
    Column("explanation", JSON),
    Column("assigned_to", String(64)),
    # Picks: the trip, order line and allocation served, the place in the trip's route and the tote.
    Column("trip_id", ForeignKey("pick_trip.id")),
    Column("order_id", ForeignKey("shipment_order.id")),
    Column("line_id", ForeignKey("shipment_line.id")),
    Column("allocation_id", ForeignKey("shipment_allocation.id")),
    Column("sequence", Integer),
    Column("tote", String(32)),
    Column("waits_for_task_id", ForeignKey("task.id")),  # a pick from a pick face waits for its replenishment
    Column("short_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_task_open", "warehouse_id", "kind", "status"),
    Index("ix_task_trip", "trip_id", "sequence"),
    Index("ix_task_order", "order_id"),
    Index("ix_task_to_location", "to_location_id", "status"),
)

task_confirmation = Table(
    "task_confirmation", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("task_id", ForeignKey("task.id"), nullable=False),
    Column("posting_id", ForeignKey("posting.id"), nullable=False),
    Column("quantity", Exact, nullable=False),
    Column("to_location_id", ForeignKey("location.id"), nullable=False),
    Column("to_container_id", ForeignKey("container.id")),
    Column("overridden", Boolean, nullable=False),  # the operator chose another location than suggested
    Column("override_reason", String(200)),
    Column("user_name", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_task_confirmation_task", "task_id"),
)

# Events for outside systems, written in the transaction of the change; a relay delivers them later.
outbox_event = Table(
    "outbox_event", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("topic", String(64), nullable=False),
    Column("owner_id", ForeignKey("owner.id")),
    Column("aggregate_type", String(32), nullable=False),
    Column("aggregate_id", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Index("ix_outbox_event_undelivered", "delivered_at", "id"),
)

# ---------------------------------------------------------------- inventory control

# A freeze (冻结): the available stock matching its criteria moved to frozen status by one posting; releasing it
# moves exactly that stock back.
stock_freeze = Table(
    "stock_freeze", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("owner_id", ForeignKey("owner.id")),
    Column("sku_id", ForeignKey("sku.id")),
    Column("lot_id", ForeignKey("lot.id")),
    Column("location_id", ForeignKey("location.id")),
    Column("reason", String(200), nullable=False),
    Column("status", String(16), nullable=False),  # active | released
    Column("posting_id", ForeignKey("posting.id")),
    Column("release_posting_id", ForeignKey("posting.id")),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("released_by", String(64)),
    Column("released_at", UtcDateTime),
    Column("release_reason", String(200)),
    Index("ix_stock_freeze_warehouse_status", "warehouse_id", "status"),
)

# Counts (盘点): a count snapshots the books of its lines when it starts; movements after that are added to the
# snapshot when the count is entered, so picking during a count never shows up as a variance.
count_plan = Table(
    "count_plan", metadata, _id(),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("zone_id", ForeignKey("zone.id")),
    Column("sku_id", ForeignKey("sku.id")),
    Column("abc_class", String(1)),
    Column("location_ids", JSON),
    Column("every_days", Integer, nullable=False),
    Column("next_due", Date, nullable=False),
    Column("blind", Boolean, nullable=False, server_default=text("true"), default=True),
    *_stamps(),
)

stock_count = Table(
    "stock_count", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("plan_id", ForeignKey("count_plan.id")),
    Column("kind", String(16), nullable=False),  # planned | ad_hoc | on_touch
    Column("status", String(24), nullable=False),  # counting | recount | awaiting_approval | posted | cancelled
    Column("blind", Boolean, nullable=False),
    Column("snapshot_movement_id", BigInteger, nullable=False),  # the last movement the snapshot includes
    Column("approval_request_id", ForeignKey("approval_request.id")),
    Column("posting_id", ForeignKey("posting.id")),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("posted_at", UtcDateTime),
    Index("ix_stock_count_warehouse_status", "warehouse_id", "status"),
)

count_line = Table(
    "count_line", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("count_id", ForeignKey("stock_count.id"), nullable=False),
    Column("location_id", ForeignKey("location.id"), nullable=False),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("serial", String(64)),
    Column("container_id", ForeignKey("container.id")),
    Column("status", String(16), nullable=False),
    Column("snapshot_quantity", Exact, nullable=False),
    Column("counted_quantity", Exact),
    Column("counted_by", String(64)),
    Column("counted_at", UtcDateTime),
    Column("book_at_count", Exact),  # the snapshot plus movements between snapshot and entry
    Column("recount_quantity", Exact),
    Column("recounted_by", String(64)),
    Column("recounted_at", UtcDateTime),
    Index("ix_count_line_count", "count_id"),
)

# Transfer orders (调拨) between warehouses: shipped into the source warehouse's in-transit location, received at
# the destination against a transfer-in receipt.
transfer_order = Table(
    "transfer_order", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("from_warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("to_warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("external_ref", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # created | shipped | received | closed | cancelled
    Column("ship_posting_id", ForeignKey("posting.id")),
    Column("receipt_id", ForeignKey("receipt.id")),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("owner_id", "external_ref"),
)

transfer_line = Table(
    "transfer_line", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("transfer_id", ForeignKey("transfer_order.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("serial", String(64)),
    Column("from_location_id", ForeignKey("location.id"), nullable=False),
    Column("quantity", Exact, nullable=False),
    Column("shipped_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("received_quantity", Exact, nullable=False, server_default="0", default=0),
    UniqueConstraint("transfer_id", "line_no"),
)

# Kits (组合品) and processing work orders (加工): components consumed, the kit produced, or the reverse.
kit_component = Table(
    "kit_component", metadata,
    Column("kit_sku_id", ForeignKey("sku.id"), primary_key=True),
    Column("component_sku_id", ForeignKey("sku.id"), primary_key=True),
    Column("quantity", Exact, nullable=False),  # component base units per kit base unit
)

work_order = Table(
    "work_order", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # assemble | disassemble
    Column("kit_sku_id", ForeignKey("sku.id"), nullable=False),
    Column("quantity", Exact, nullable=False),
    Column("location_id", ForeignKey("location.id"), nullable=False),
    Column("status", String(16), nullable=False),  # created | done | cancelled
    Column("posting_id", ForeignKey("posting.id")),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("done_at", UtcDateTime),
)

# Replenishment (补货): a pick face is topped up from reserve to its maximum when it falls to its minimum.
replenishment_rule = Table(
    "replenishment_rule", metadata, _id(),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("location_id", ForeignKey("location.id"), nullable=False),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("min_quantity", Exact, nullable=False),
    Column("max_quantity", Exact, nullable=False),
    *_stamps(),
    UniqueConstraint("location_id", "sku_id"),
)

# Shipment orders (出库单) and their allocation (分配): lines reserve available stock bucket by bucket, each
# reservation remembered with the posting that made it and why that stock was chosen.
shipment_order = Table(
    "shipment_order", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("external_ref", String(64), nullable=False),
    # sales_b2c | sales_b2b | material_issue | transfer_out | return_to_vendor
    Column("type", String(24), nullable=False),
    # created | partially_allocated | allocated | picking | picked | packed | shipped | cancelled
    Column("status", String(24), nullable=False),
    Column("rule", String(8), nullable=False),  # fifo | fefo | lifo
    Column("priority", Integer, nullable=False, server_default="0", default=0),
    Column("requested_ship_date", Date),
    Column("carrier_id", ForeignKey("carrier.id")),
    Column("service_level", String(32)),
    Column("ship_to", JSON),
    Column("on_hold", Boolean, nullable=False, server_default=text("false"), default=False),
    Column("content_hash", String(64), nullable=False),  # what the outside system sent, for idempotent intake
    Column("explanation", JSON),  # the last allocation run: per line what was taken and what skipped, and why
    Column("wave_id", ForeignKey("wave.id")),
    Column("sort_slot", Integer),  # its slot on the put wall when its wave is batch-picked
    Column("ship_posting_id", ForeignKey("posting.id")),
    Column("shipped_at", UtcDateTime),
    Column("backorder_of_id", ForeignKey("shipment_order.id")),  # the order whose unshipped rest this is
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("owner_id", "external_ref"),
    Index("ix_shipment_order_warehouse_status", "warehouse_id", "status"),
)

shipment_line = Table(
    "shipment_line", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("shipment_order.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("quantity", Exact, nullable=False),  # base units
    Column("ordered_quantity", Exact, nullable=False),  # as ordered, in ordered_uom
    Column("ordered_uom", String(3), nullable=False),
    Column("lot_number", String(64)),  # the customer asked for this lot
    Column("min_shelf_life_days", Integer),
    Column("allocated_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("picked_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("sorted_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("packed_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("shipped_quantity", Exact, nullable=False, server_default="0", default=0),
    Column("short_quantity", Exact, nullable=False, server_default="0", default=0),  # closed unserved
    UniqueConstraint("order_id", "line_no"),
    Index("ix_shipment_line_sku", "sku_id"),
)

shipment_allocation = Table(
    "shipment_allocation", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("line_id", ForeignKey("shipment_line.id"), nullable=False),
    Column("owner_id", ForeignKey("owner.id"), nullable=False),
    Column("sku_id", ForeignKey("sku.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("serial", String(64)),
    Column("location_id", ForeignKey("location.id"), nullable=False),
    Column("container_id", ForeignKey("container.id")),
    # allocated (on the shelf) | picked (in staging, still reserved) | released | shipped
    Column("status", String(16), nullable=False),
    Column("quantity", Exact, nullable=False),
    Column("posting_id", ForeignKey("posting.id"), nullable=False),
    Column("release_posting_id", ForeignKey("posting.id")),
    Column("reason", Text, nullable=False),  # why this stock was taken
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_shipment_allocation_line", "line_id"),
)


# A wave (波次): orders released together; releasing allocates them and groups their picks into trips.
wave = Table(
    "wave", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("status", String(16), nullable=False),  # created | released | done | cancelled
    Column("pick_mode", String(16), nullable=False),  # cluster | batch | zone
    Column("max_orders_per_trip", Integer, nullable=False),
    Column("max_lines_per_trip", Integer, nullable=False),
    Column("staging_location_id", ForeignKey("location.id"), nullable=False),
    Column("criteria", JSON),  # the rule that chose its orders, when made by rule
    Column("stats", JSON),  # what releasing it did
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("released_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_wave_warehouse_status", "warehouse_id", "status"),
)

# A picker trip: the picks one person walks in one route, into totes on one cart.
pick_trip = Table(
    "pick_trip", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("wave_id", ForeignKey("wave.id"), nullable=False),
    Column("warehouse_id", ForeignKey("warehouse.id"), nullable=False),
    Column("zone_id", ForeignKey("zone.id")),
    Column("trip_no", Integer, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # open | done | cancelled
    Column("route", JSON, nullable=False),  # location ids in walking order
    Column("route_length", Exact, nullable=False),  # metres
    Column("route_method", String(16), nullable=False),
    Column("s_shape_length", Exact, nullable=False),
    Column("largest_gap_length", Exact, nullable=False),
    Column("assigned_to", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("wave_id", "trip_no"),
)

# A package (箱): a carton being checked (复核) and packed for one order; closed when packed.
package = Table(
    "package", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("order_id", ForeignKey("shipment_order.id"), nullable=False),
    Column("package_no", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # open | closed
    Column("carton_type", String(32)),
    Column("length", Exact), Column("width", Exact), Column("height", Exact),  # cm
    Column("expected_weight", Exact),  # kg: items plus carton tare
    Column("weight", Exact),  # kg, as the scale weighed it
    Column("weight_checked", Boolean),
    Column("tracking_number", String(64)),
    Column("sscc", String(18)),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    UniqueConstraint("order_id", "package_no"),
)

package_item = Table(
    "package_item", metadata,
    Column("id", LedgerId, primary_key=True, autoincrement=True),
    Column("package_id", ForeignKey("package.id"), nullable=False),
    Column("line_id", ForeignKey("shipment_line.id"), nullable=False),
    Column("lot_id", ForeignKey("lot.id")),
    Column("serial", String(64)),
    Column("quantity", Exact, nullable=False),
    Column("scanned_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_package_item_package", "package_id"),
)
