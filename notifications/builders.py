"""Message builders: what a touchpoint of a given kind and channel says.

Each kind registers a builder per channel; the sender sends whatever it returns.
A new kind of touchpoint (e.g. `endorsement_request` from followups) only
registers a builder from its app's `AppConfig.ready`:

    from notifications.builders import OutgoingEmail, register_builder

    @register_builder("endorsement_request", "email")
    def endorsement_email(touchpoint):
        return OutgoingEmail(to=[...], subject=..., text=..., html=...)

A builder returns None when there is nothing to send: the touchpoint becomes
`skipped`. It runs inside `translation.override(order.locale)`. The sender adds
the headers every email needs (List-Unsubscribe, a stable Message-ID) itself.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class OutgoingEmail:
    to: list[str]
    subject: str
    text: str
    html: str = ""
    reply_to: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    from_email: str = ""  # blank: the merchant's sender name at DEFAULT_FROM_EMAIL's address

    def __post_init__(self):
        if isinstance(self.to, str):
            self.to = [self.to]
        if isinstance(self.reply_to, str):
            self.reply_to = [self.reply_to] if self.reply_to else []


@dataclass
class OutgoingSms:
    to: str
    body: str
    sender: str = ""  # blank: the merchant's SMS sender, else TWILIO_FROM_NUMBER


Builder = Callable[[object], OutgoingEmail | OutgoingSms | None]

_builders: dict[tuple[str, str], Builder] = {}


def register_builder(kind: str, channel: str) -> Callable[[Builder], Builder]:
    """Register `fn(touchpoint)` as the builder of `kind` on `channel`. Last one wins."""

    def decorator(fn: Builder) -> Builder:
        _builders[(str(kind), str(channel))] = fn
        return fn

    return decorator


def get_builder(kind: str, channel: str) -> Builder | None:
    return _builders.get((str(kind), str(channel)))


def registered() -> list[tuple[str, str]]:
    return sorted(_builders)
