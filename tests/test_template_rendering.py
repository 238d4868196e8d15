"""notifications.rendering gives exactly what Django's Template.render gives, faster."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Engine
from django.template.base import VariableNode
from django.test import override_settings
from django.utils import translation
from django.utils.safestring import mark_safe

from notifications import rendering

ENGINE = Engine(libraries={"i18n": "django.templatetags.i18n"})

TEMPLATES = [
    "plain text, no nodes",
    "{{ a }}|{{ b.c }}|{{ b.d.e }}|{{ missing }}|{{ b.missing }}|{{ a.upper }}",
    "{{ n }} {{ big }} {{ price }} {{ flag }} {{ none }} {{ day }} {{ when }} {{ lst }} {{ lst.0 }}",
    "{{ safe }} {{ html }} {{ b.html }} {{ fn }} {{ obj.name }} {{ obj.method }} {{ b }}",
    "{% autoescape off %}{{ html }} {{ safe }} {% if html %}{{ b.html }}{% endif %}{% endautoescape %}",
    "{% if a %}A{% elif n %}N{% else %}E{% endif %}{% if missing %}M{% else %}-{% endif %}",
    "{% if not flag %}x{% endif %}{% if n == 3 %}three{% endif %}{% if b.c and lst %}both{% endif %}",
    "{% if empty %}e{% endif %}{% if zero %}z{% endif %}{% if b.d %}d{% endif %}{% if fn %}f{% endif %}",
    "{% for x in lst %}{{ x }}{% if not forloop.last %}, {% endif %}{% empty %}none{% endfor %}",
    "{% for x in empty %}{{ x }}{% empty %}none{% endfor %}{% for x in missing %}?{% endfor %}",
    "{% for x in lst reversed %}{{ forloop.counter }}{{ forloop.revcounter0 }}{{ x }}{% endfor %}",
    "{% for r in rows %}{% for x in r.items %}{{ forloop.parentloop.counter }}.{{ x }} "
    "{% endfor %}{{ r.name }}{% endfor %}",
    "{% for k, v in pairs %}{{ k }}={{ v }};{% endfor %}{% for x in gen %}{{ x }}{% endfor %}",
    "{{ a|upper }} {{ html|default:'x' }} {{ missing|default:_('Hello') }} {{ _('Hello') }}",
    "{% load i18n %}{% translate 'Hello' %} {% get_current_language as L %}{{ L }}",
    "{{ forloop }}{% for x in lst %}{{ x }}{% endfor %}{{ x }}",
    "{% if a == 'x' %}1{% endif %}{% if kind == 'congratulation' %}2{% endif %}{% if n == 3 %}3{% endif %}"
    "{% if missing == None %}4{% endif %}{% if not missing %}5{% endif %}{% if not b.c %}6{% endif %}"
    "{% if kind == missing %}7{% endif %}{% if not fn %}8{% endif %}{% if bad == 1 %}9{% endif %}"
    "{% if not bad %}10{% endif %}{% if 'congratulation' == kind %}11{% endif %}",
    "{% for x in lst %}{% if not forloop.first %}+{% endif %}{% if forloop.last == True %}."
    "{% endif %}{% endfor %}{{ b.c.d }}{{ b.d.e.f }}{{ n.real }}{{ obj.name.upper }}",
]


class Obj:
    name = "<obj>"

    def method(self):
        return "called & <done>"

    def __str__(self):
        return "Obj<>"


class Explosive:
    """Raises when compared or tested, as a broken value in a context might."""

    def __eq__(self, other):
        raise RuntimeError("no comparing")

    def __bool__(self):
        raise RuntimeError("no truth")

    __hash__ = object.__hash__


def _context():
    return {
        "a": "<Ånne> & 'Co'",
        "b": {"c": 'q"uote', "d": {"e": "deep"}, "html": "<i>"},
        "n": 3,
        "big": 1234567,
        "price": Decimal("1299.50"),
        "flag": True,
        "none": None,
        "day": dt.date(2026, 11, 20),
        "when": dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC),
        "lst": ["x<", "y", 3],
        "safe": mark_safe("<b>safe</b>"),
        "html": "<script>alert(1)</script>",
        "fn": lambda: "from a function <>",
        "obj": Obj(),
        "empty": [],
        "zero": 0,
        "rows": [{"name": "r1", "items": [1, 2]}, {"name": "r2", "items": []}],
        "pairs": [("k1", "v1"), ("k2", "<v2>")],
        "gen": (i for i in range(3)),
        "kind": "congratulation",
        "bad": Explosive(),
    }


@pytest.mark.parametrize("source", TEMPLATES)
@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("language", ["en", "da", "de"])
def test_compiled_rendering_is_djangos(source, autoescape, language):
    template = ENGINE.from_string(source)
    with translation.override(language):
        expected = template.render(Context(_context(), autoescape=autoescape))
        got = rendering.render_base(template, Context(_context(), autoescape=autoescape))
        fresh = rendering.render_fresh(template, Context(_context(), autoescape=autoescape))
    assert got == expected
    assert fresh == expected


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_numbers_follow_the_thousand_separator_setting():
    template = ENGINE.from_string("{{ big }} {{ n }}")
    with translation.override("da"):
        expected = template.render(Context(_context()))
        assert rendering.render_base(template, Context(_context())) == expected == "1.234.567 3"


def test_a_template_is_compiled_once_and_plain_variables_skip_djangos_node(monkeypatch):
    template = ENGINE.from_string("{{ a }}{% for x in lst %}{{ x }}{{ b.c }}{% endfor %}")
    before = rendering.compilations
    calls = []
    real = VariableNode.render
    monkeypatch.setattr(
        VariableNode, "render", lambda self, ctx: calls.append(1) or real(self, ctx)
    )
    for _ in range(3):
        rendering.render_base(template, Context(_context()))
    assert rendering.compilations == before + 1
    # Strings and ints (the list holds both) never take Django's path.
    assert calls == []


def test_a_shared_block_renders_once_per_batch_for_equal_values_and_tells_safe_from_plain():
    from notifications.batch import batch_reads

    engine = Engine(libraries={"email_blocks": "notifications.templatetags.email_blocks"})
    template = engine.from_string(
        '{% load email_blocks %}{% shared "x" v %}{{ v }}{{ n }}{% endshared %}'
    )
    bodies = []
    node = template.nodelist[1]
    real_body = node.body
    node.body = lambda context: bodies.append(1) or real_body(context)

    def render(**values):
        return rendering.render_base(template, Context(values))

    with batch_reads():
        assert render(v="<b>", n=1) == "&lt;b&gt;1"
        assert render(v="<b>", n=2) == "&lt;b&gt;1"  # n is not named: the block is reused
        assert len(bodies) == 1
        # A SafeString is not the same value as the plain string: not reused, not escaped.
        assert render(v=mark_safe("<b>"), n=3) == "<b>3"
        assert render(v=lambda: "<i>", n=4) == "&lt;i&gt;4"  # pickle cannot write it: rendered
        assert len(bodies) == 3
    assert render(v="<b>", n=5) == "&lt;b&gt;5"  # outside a batch: always rendered


def test_a_shared_block_keys_on_the_language_given_unless_the_template_switches_it():
    from notifications.batch import batch_reads

    engine = Engine(
        libraries={
            "email_blocks": "notifications.templatetags.email_blocks",
            "i18n": "django.templatetags.i18n",
        }
    )
    plain = engine.from_string(
        '{% load i18n email_blocks %}{% shared "x" v %}{% translate "Yes" %}{% endshared %}'
    )
    switching = engine.from_string(
        "{% load i18n email_blocks %}{% language lang %}"
        '{% shared "y" v %}{% translate "Yes" %}{% endshared %}{% endlanguage %}'
    )
    with batch_reads():
        for language, expected in [("de", "Ja"), ("en", "Yes"), ("de", "Ja")]:
            with translation.override(language):
                got = rendering.render_fresh(plain, Context({"v": 1}), language=language)
            assert got == expected
        # The hint says "da", but {% language %} makes it German, then English.
        for lang, expected in [("de", "Ja"), ("en", "Yes")]:
            with translation.override("da"):
                context = Context({"v": 1, "lang": lang})
                assert rendering.render_fresh(switching, context, language="da") == expected
