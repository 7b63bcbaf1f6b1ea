"""yibao — an open-source medical-insurance (医保) service platform."""

__version__ = "0.1.0"
