"""Reporting: the figures staff and the public read (stats), and the petition for
parliament: CSV, JSON, the PDF and the bundle's manifest.

May import every other sub-package; none imports it."""
