"""Documents of the flows: pallet labels of containers and the receiving report, from the books."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.documents.labels import PalletLabel, pallet_label_pdf, pallet_label_zpl
from stockyard.documents.reports import QcLine, ReceivingReport, ReportLine, receiving_report_pdf
from stockyard.domain.access import Principal
from stockyard.services import masterdata as md
from stockyard.services import receipts


def container_label(db: Database, principal: Principal, container_id: int, fmt: str) -> tuple[bytes | str, str]:
    """The container's pallet label: its SSCC or LPN and, for a single-SKU pallet, the SKU, GTIN, lot, expiry and
    count, as GS1-128."""
    label = db.read(lambda conn: _label(conn, principal, container_id))
    if fmt == "pdf":
        return pallet_label_pdf(label), "application/pdf"
    return pallet_label_zpl(label), "text/plain; charset=utf-8"


def _label(conn: Connection, principal: Principal, container_id: int) -> PalletLabel:
    container = md.get_in(conn, md.CONTAINER, container_id, principal)
    warehouse = conn.execute(select(t.warehouse.c.name).where(t.warehouse.c.id == container["warehouse_id"])).scalar()
    b = t.balance
    rows = conn.execute(select(b.c.owner_id, b.c.sku_id, b.c.lot_id, func.sum(b.c.on_hand).label("quantity"))
                        .where(b.c.container_id == container_id, ~b.c.is_virtual, b.c.on_hand > 0)
                        .group_by(b.c.owner_id, b.c.sku_id, b.c.lot_id)).all()
    owners = {r.owner_id for r in rows}
    owner = conn.execute(select(t.owner.c.name).where(t.owner.c.id.in_(owners))).scalar() if len(owners) == 1 else ""
    label = PalletLabel(lpn=container["lpn"], sscc=container["sscc"], warehouse=warehouse or "", owner=owner or "",
                        printed_at=datetime.now(UTC))
    if len(rows) != 1:
        return label  # empty or mixed pallet: the licence plate says it all
    only = rows[0]
    sku = conn.execute(select(t.sku.c.code, t.sku.c.name).where(t.sku.c.id == only.sku_id)).one()
    gtin = conn.execute(select(t.sku_barcode.c.barcode).where(
        t.sku_barcode.c.sku_id == only.sku_id, t.sku_barcode.c.kind == "gtin", t.sku_barcode.c.pack_level == "each")
        .order_by(t.sku_barcode.c.id)).scalar()
    lot = conn.execute(select(t.lot.c.number, t.lot.c.expiry_date).where(t.lot.c.id == only.lot_id)).first()
    whole = only.quantity == only.quantity.to_integral_value()
    return PalletLabel(lpn=label.lpn, sscc=label.sscc, warehouse=label.warehouse, owner=label.owner,
                       sku_code=sku.code, sku_name=sku.name, content_gtin=gtin.zfill(14) if gtin else None,
                       count=int(only.quantity) if whole else None, lot=lot.number if lot else None,
                       expiry=lot.expiry_date if lot else None, printed_at=label.printed_at)


def receiving_report(db: Database, principal: Principal, receipt_id: int) -> bytes:
    """The receiving report of a receipt as PDF: expected against received per line, lots, QC results."""
    return receiving_report_pdf(db.read(lambda conn: _report(conn, principal, receipt_id)))


def _report(conn: Connection, principal: Principal, receipt_id: int) -> ReceivingReport:
    receipts.visible(conn, principal, receipt_id)
    receipt = receipts.read(conn, receipt_id)
    names = _names(conn, receipt)
    payload = receipts.confirmation(conn, receipt)
    lines = [ReportLine(line_no=line["line_no"], sku_code=line["sku_code"], sku_name=line["sku_name"],
                        unit=line["base_uom"], expected=line["expected_quantity"],
                        received=line["received_quantity"], damaged=line["damaged_quantity"],
                        lots=_lots(detail["detail"]), serials=sum(1 for d in detail["detail"] if d["serial"]))
             for line, detail in zip(receipt["lines"], payload["lines"], strict=True)]
    skus = {line["sku_id"]: line["sku_code"] for line in receipt["lines"]}
    qc = [QcLine(sku_code=skus.get(q["sku_id"], str(q["sku_id"])), lot=q["lot"],
                 sampled=Decimal(q["sampled_quantity"]), passed=Decimal(q["passed_quantity"]),
                 failed=Decimal(q["damaged_quantity"]), returned=Decimal(q["returned_quantity"]),
                 inspector=q["inspector"]) for q in payload["qc"]]
    return ReceivingReport(receipt_ref=receipt["external_ref"], receipt_type=receipt["type"], status=receipt["status"],
                           owner=names["owner"], warehouse=names["warehouse"], supplier=names["supplier"],
                           expected_date=receipt["expected_date"], closed_at=receipt["closed_at"], lines=lines,
                           qc=qc, generated_at=datetime.now(UTC), generated_by=principal.name)


def _names(conn: Connection, receipt: dict[str, Any]) -> dict[str, Any]:
    owner = conn.execute(select(t.owner.c.name).where(t.owner.c.id == receipt["owner_id"])).scalar()
    warehouse = conn.execute(select(t.warehouse.c.name).where(t.warehouse.c.id == receipt["warehouse_id"])).scalar()
    supplier = None
    if receipt["supplier_id"] is not None:
        supplier = conn.execute(select(t.supplier.c.name).where(t.supplier.c.id == receipt["supplier_id"])).scalar()
    return {"owner": owner, "warehouse": warehouse, "supplier": supplier}


def _lots(detail: list[dict[str, Any]]) -> str:
    parts = []
    for d in detail:
        if d["lot"]:
            expiry = f" (exp {d['expiry']})" if d["expiry"] else ""
            parts.append(f"{d['lot']}{expiry} ×{d['quantity']}")
    return "; ".join(parts)
