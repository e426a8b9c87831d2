"""Printable documents: pallet labels (ZPL and PDF) and receiving reports (PDF). Rendering only: plain
dataclasses in, bytes or text out; no database and no web framework."""

from stockyard.documents.labels import (
    PalletLabel,
    gs1_barcode_data,
    gs1_element_string,
    pallet_label_pdf,
    pallet_label_zpl,
)
from stockyard.documents.reports import QcLine, ReceivingReport, ReportLine, receiving_report_pdf

__all__ = [
    "PalletLabel",
    "QcLine",
    "ReceivingReport",
    "ReportLine",
    "gs1_barcode_data",
    "gs1_element_string",
    "pallet_label_pdf",
    "pallet_label_zpl",
    "receiving_report_pdf",
]
