"""The interface every SMS backend implements."""

from notifications.errors import SendError


class SmsSendError(SendError):
    """A send that failed. `permanent` says whether retrying could ever help."""

    def __init__(self, message: str, *, permanent: bool, code: str = ""):
        super().__init__(message, permanent=permanent, code=code)


class BaseSmsBackend:
    def __init__(self, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def send_messages(self, messages) -> int:
        """Send each message; set its provider_message_id; return how many were sent."""
        raise NotImplementedError
