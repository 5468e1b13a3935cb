"""Closer: a Discord bot that helps two people grow emotionally closer."""

__version__ = "0.1.0"
