"""Stockyard: an open-source, multi-warehouse, multi-owner warehouse management system."""

__version__ = "0.1.0"
