"""The errors that cross from the playground's logic to a socket or a view.

Each carries a message meant for a person. Sockets turn them into `error`
frames; views turn them into the JSON error shape (`chat.json_views`).
"""


class BadFrame(ValueError):
    """A frame (or request body) the protocol does not allow; its message says what to fix."""


class Refused(Exception):
    """A request the user may not make, or that names something missing; becomes an `error` frame."""

    def __init__(self, code: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after  # seconds, where waiting helps (a quota that resets)


class ApiError(Exception):
    """An HTTP API request that cannot be served: the status and the message for its JSON body."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message
