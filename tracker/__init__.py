"""commitment-tracker: follow what AI companies committed to, across versions of their documents."""

__version__ = "0.1.0"
