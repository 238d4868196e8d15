"""Send errors that say whether retrying could ever help."""


class SendError(Exception):
    """A failed send. `permanent` errors (invalid number, hard bounce, opted out) never retry."""

    def __init__(self, message: str, *, permanent: bool, code: str = ""):
        super().__init__(message)
        self.permanent = permanent
        self.code = code

    def __str__(self):
        text = super().__str__()
        return f"{self.code}: {text}" if self.code else text
