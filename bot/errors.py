"""Exceptions that carry a message meant for the member who caused them."""


class UserFacingError(Exception):
    """Refuse an action with a short, kind explanation shown ephemerally to the member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
