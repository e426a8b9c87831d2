"""What a refusal means, in the person's language, by the service's error code.

The services explain a refusal in English with its specifics ("go to P01-11-3-2"); the console shows that as it
is in English, and in another language shows the translated meaning of the code first, the service's words below
it. Codes a person meets while working (scans, quantities, documents in the wrong state) are here; a code not
listed shows the service's text alone."""

from __future__ import annotations

from stockyard.web.i18n import N_

REFUSALS = {
    "wrong_location": N_("This is not the location of this step."),
    "wrong_item": N_("This is not the item to pick here."),
    "wrong_sku": N_("This is not the SKU of this line."),
    "wrong_lot": N_("This is not the lot of this step."),
    "wrong_serial": N_("This is not the serial number of this step."),
    "wrong_tote": N_("This is another order's tote."),
    "wrong_container": N_("This is not the container of this step."),
    "more_than_open": N_("More than is left to pick here."),
    "more_than_needed": N_("More than is needed."),
    "over_task": N_("More than the task holds."),
    "over_available": N_("More than is available there."),
    "over_tolerance": N_("More than the receipt allows."),
    "over_shipped": N_("More than was shipped."),
    "extra_item": N_("This item is not (or no longer) needed for the order."),
    "unknown_barcode": N_("No SKU has this barcode."),
    "unknown_scan": N_("Nothing is known by this scan."),
    "bad_barcode": N_("The barcode cannot be read."),
    "unknown_location": N_("No such location here."),
    "unknown_sku": N_("No such SKU."),
    "unknown_lot": N_("No such lot of this SKU."),
    "unknown_container": N_("No such container."),
    "unknown_line": N_("No such line on this document."),
    "unknown_order": N_("No such order."),
    "unknown_receipt": N_("No such receipt."),
    "ambiguous_owner": N_("Several owners have this barcode."),
    "ambiguous_location": N_("Several locations have this code."),
    "lot_required": N_("The lot is needed."),
    "expiry_required": N_("The expiry date is needed."),
    "serial_required": N_("The serial number is needed."),
    "serial_is_one": N_("A serial number is one unit."),
    "serial_quantity_not_one": N_("A serial number is one unit."),
    "duplicate_serial": N_("This serial number is already in stock."),
    "short_shelf_life": N_("Too little shelf life left."),
    "location_blocked": N_("The location is blocked."),
    "location_unfit": N_("The location cannot take this."),
    "frozen": N_("The stock is frozen."),
    "task_not_open": N_("This task is already done or cancelled."),
    "task_closed": N_("This task is already done or cancelled."),
    "trip_taken": N_("Someone else has taken this trip."),
    "trip_not_open": N_("This trip is not open."),
    "waiting_for_replenishment": N_("This pick waits for its replenishment."),
    "count_closed": N_("This count is closed."),
    "same_counter": N_("A recount is done by someone else."),
    "receipt_not_open": N_("This receipt is not open."),
    "receipt_closed": N_("This receipt is closed."),
    "sku_not_on_receipt": N_("This SKU is not on the receipt."),
    "sku_not_on_transfer": N_("This SKU is not on the transfer."),
    "package_closed": N_("This package is closed."),
    "weight_mismatch": N_("The weight does not match what the package should weigh."),
    "order_not_packed": N_("The order is not packed yet."),
    "order_on_hold": N_("The order is on hold."),
    "nothing_packed": N_("Nothing of the order is packed yet."),
    "no_trips": N_("The wave has no trips yet."),
    "self_approval": N_("Someone else must decide your own request."),
    "outside_scope": N_("This is outside your warehouses or owners."),
    "duplicate": N_("This already exists."),
    "invalid": N_("This value is not valid here."),
}


def refusal(code: str | None) -> str | None:
    """The message text (to translate) of an error code, or None when the code has none."""
    return REFUSALS.get(code or "")
