"""Helpline: an open-source contact-center platform with a built-in CRM."""

__version__ = "0.1.0"
