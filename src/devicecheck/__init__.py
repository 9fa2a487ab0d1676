"""devicecheck: a digital-stalking self-check toolkit."""

__version__ = "0.1.0"
