"""Reporting: terminal, HTML and file formats built from analysis results."""
