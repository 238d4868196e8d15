"""`{% shared "name" var … %}…{% endshared %}`: a block of an email rendered once per send batch.

Most of an email's layout is the same for every buyer of a merchant: the header, the
benefits and testimonials, the thanks and the footer. Such a block names every variable
it reads; its output is a function of those values, the language and the escaping, so
within a batch (notifications/batch.py) it is rendered for the first email with those
values and reused for the others. Outside a batch it simply renders. A block must not
read anything it does not name (a buyer's name in a shared block would go to the wrong
buyer), nor set variables for the rest of the template.

A dict value with a `SHARED_KEY` entry is known by that key instead of its content:
whoever makes it promises one dict per key within a batch (the builder's brand, read
once per batch for the shop and language). Templates cannot read the entry (`_`).
"""

import pickle

from django import template
from django.utils import translation

from notifications import rendering
from notifications.batch import read_once

register = template.Library()
SHARED_KEY = "_shared_key"


@register.tag
def shared(parser, token):
    name, *inputs = token.split_contents()[1:]
    nodelist = parser.parse(("endshared",))
    parser.delete_first_token()
    return SharedNode(name, [parser.compile_filter(bit) for bit in inputs], nodelist)


class SharedNode(template.Node):
    def __init__(self, name: str, inputs, nodelist):
        self.name, self.inputs, self.nodelist = name, inputs, nodelist
        self.body = rendering.compile_nodelist(nodelist)  # what nodelist.render gives, faster
        self.resolvers = [rendering.resolver(value) for value in inputs]

    def render(self, context):
        # The values as bytes: equal bytes are equal values of the same types (a str and
        # a SafeString differ, as their escaping does); pickle writes strings as they are,
        # cheaper than repr's escaping (a fifth of an email's rendering, #16).
        values = [resolve(context) for resolve in self.resolvers]
        values = [
            value[SHARED_KEY] if value.__class__ is dict and SHARED_KEY in value else value
            for value in values
        ]
        try:
            values = pickle.dumps(values, 5)
        except Exception:  # a value pickle cannot write: no reuse, the same output
            return self.body(context)
        language = context.render_context.get(rendering.LANGUAGE) or translation.get_language()
        key = ("shared-block", self.name, id(self), language, context.autoescape)
        return read_once((*key, values), lambda: self.body(context))
