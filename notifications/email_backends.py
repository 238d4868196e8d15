"""Email backends: anymail's, with what is the same for every message of a shop done once.

EMAIL_BACKEND=notifications.email_backends.PostmarkEmailBackend is anymail's Postmark
backend (same settings, payload, API calls and errors) that parses a From or Reply-To
address it has seen before from memory: a shop's sender and reply address are the same
on every message, and anymail parses each with the email package's header parser per
message, ~4% of a send's CPU (#16, third round). Recipients are parsed as before.
anymail.backends.postmark.EmailBackend keeps working the same, at that cost.
"""

import functools

from anymail.backends.postmark import EmailBackend as AnymailPostmarkBackend
from anymail.backends.postmark import PostmarkPayload
from anymail.utils import parse_address_list

SENDER_FIELDS = ("from_email", "reply_to")


@functools.lru_cache(maxsize=2048)
def _parsed(addresses: tuple[str, ...], field: str) -> tuple:
    # EmailAddress objects are read-only, so one can serve every message.
    return tuple(parse_address_list(list(addresses), field=field))


def parse_sender_addresses(value, field: str) -> list:
    """anymail's parse_address_list, from memory for plain strings seen before (an
    invalid address raises every time, as lru_cache keeps no exception)."""
    addresses = (value,) if isinstance(value, str) else value
    if isinstance(addresses, list | tuple) and all(type(a) is str for a in addresses):
        return list(_parsed(tuple(addresses), field))
    return parse_address_list(value, field=field)  # lazy strings, None…


class _PostmarkPayload(PostmarkPayload):
    # anymail calls a converter given by name as a method of the payload.
    base_message_attrs = tuple(
        (attr, combiner, f"parsed_{attr}" if attr in SENDER_FIELDS else converter)
        for attr, combiner, converter in PostmarkPayload.base_message_attrs
    )

    def parsed_from_email(self, value) -> list:
        return parse_sender_addresses(value, "from_email")

    def parsed_reply_to(self, value) -> list:
        return parse_sender_addresses(value, "reply_to")


class PostmarkEmailBackend(AnymailPostmarkBackend):
    def build_message_payload(self, message, defaults):
        return _PostmarkPayload(message, defaults, self)
