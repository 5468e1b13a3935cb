"""Errors the storage layer raises to its callers."""


class StorageError(Exception):
    """The database cannot be used; the message is meant for an operator."""


class MigrationError(StorageError):
    """The schema cannot be brought to this code's version."""


class IntegrityError(StorageError):
    """A write broke a constraint (a unique index, a key): on either engine, the same error."""
