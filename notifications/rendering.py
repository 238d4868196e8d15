"""Django templates rendered with less per-node work, to the very same output.

An email's layout is a Django template of ~130 nodes rendered for every buyer; most
of that time is the engine's generic machinery around each node (`render_annotated`,
`FilterExpression.resolve`, `Variable._resolve_lookup` trying `[]`, then attributes,
then a call, `localize`, `conditional_escape`), not the output. `compiled(template)`
turns a parsed template's node tree, once per template object (per process: the
cached loader keeps the objects; a merchant's wording is parsed once per source in
notifications/templating.py), into plain functions for the nodes that dominate:

- text: the string itself;
- `{{ a.b.c }}` without filters: looked up in the context's dicts and through plain
  `dict`s, then escaped as Django does; anything else (an attribute, a callable, a
  filter, a missing name) is handed to the node's own `render_annotated`;
- `{% if %}`, `{% for x in … %}`, `{% autoescape %}`: Django's own logic, with the
  bodies compiled; a condition is evaluated by Django's condition objects except a
  bare `{% if a.b %}` resolved as above.

Every other node (`{% shared %}`, `{% translate %}`, `{% blocktranslate %}`,
filters…) renders through Django, so the output is byte for byte what
`Template.render` gives (tests/test_email_golden.py, tests/test_template_rendering.py).
"""

import html
from collections.abc import Callable

from django.conf import settings
from django.template import Context
from django.template.base import Node, NodeList, TextNode, Variable, VariableNode
from django.template.context import make_context
from django.template.defaulttags import AutoEscapeControlNode, ForNode, IfNode, TemplateLiteral
from django.templatetags.i18n import LanguageNode
from django.utils.safestring import SafeString

Render = Callable[[Context], str]
_MISSING = object()
_escape = html.escape  # django.utils.html.escape is SafeString(html.escape(str(text)))


# The active language, when the caller knows it: `{% shared %}` blocks read it from the
# render context instead of asking asgiref's Local (7 times per email, #16).
LANGUAGE = "notifications.rendering.language"


def render(template, context: dict, *, language: str | None = None) -> str:
    """What `template.render(context)` returns, for a backend template (`get_template`)."""
    base = template.template
    ctx = make_context(context, None, autoescape=template.backend.engine.autoescape)
    return render_fresh(base, ctx, language=language)


def render_fresh(base, context: Context, *, language: str | None = None) -> str:
    """`render_base` for a context made for this one render: the state Template.render
    sets up, without its two context managers restoring what is thrown away after.
    `language` is `translation.get_language()` as the caller found it just before."""
    context.render_context.template = base
    context.render_context.push()
    context.template = base
    context.template_name = base.name
    render = compiled(base)
    if language is not None and not base._pp_switches_language:
        context.render_context[LANGUAGE] = language
    return render(context)


def render_base(base, context: Context) -> str:
    """What `base.render(context)` returns, for a `django.template.Template`."""
    with context.render_context.push_state(base):
        if context.template is not None:
            return compiled(base)(context)
        with context.bind_template(base):
            context.template_name = base.name
            return compiled(base)(context)


compilations = 0  # how many node trees were compiled (tests check the cache holds)


def compiled(base) -> Render:
    """The template's compiled nodes, made on first use and kept on the template object."""
    fn = base.__dict__.get("_pp_compiled")
    if fn is None:
        global compilations
        compilations += 1
        fn = base._pp_compiled = compile_nodelist(base.nodelist)
        # {% language %} changes the active language mid-render: no hint for its blocks.
        base._pp_switches_language = bool(base.nodelist.get_nodes_by_type(LanguageNode))
    return fn


def compile_nodelist(nodelist: NodeList) -> Render:
    """`nodelist.render` as a function (a SafeString, as Django's)."""
    body = _nodelist(nodelist)
    return lambda context: SafeString(body(context))


def _nodelist(nodelist: NodeList) -> Render:
    parts: list[str | Render] = []
    for node in nodelist:
        part = _node(node)
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] += part  # adjacent text: one string
        else:
            parts.append(part)
    # Inside a template only the text counts; `compile_nodelist` marks the result safe.
    if all(isinstance(p, str) for p in parts):
        text = "".join(parts)
        return lambda context: text
    if len(parts) == 1:
        return parts[0]
    return lambda context: "".join([p if p.__class__ is str else p(context) for p in parts])


def _node(node: Node) -> str | Render:
    kind = type(node)
    if kind is TextNode:
        return str(node.s)
    if kind is VariableNode:
        return _variable(node)
    if kind is IfNode:
        return _if(node)
    if kind is ForNode and len(node.loopvars) == 1:
        return _for(node)
    if kind is AutoEscapeControlNode:
        return _autoescape(node)
    return node.render_annotated


def _plain_lookups(expression) -> tuple[str, ...] | None:
    """The names of `{{ a.b.c }}` (no filters, no literal, no translation), else None."""
    if expression.filters:
        return None
    var = expression.var
    if not isinstance(var, Variable) or var.lookups is None:
        return None
    if var.translate or var.message_context:
        return None
    return tuple(var.lookups)


def _lookup(context: Context, first: str, rest: tuple[str, ...]):
    """Django's lookup when every step is a key of a context dict or of a plain dict
    (where `Variable._resolve_lookup` would find the same value), else _MISSING."""
    for d in reversed(context.dicts):
        if first in d:
            value = d[first]
            break
    else:
        return _MISSING
    for bit in rest:
        if value.__class__ is dict and bit in value:
            value = value[bit]
        else:
            return _MISSING
    if callable(value):
        return _MISSING  # Django would call it (or refuse to)
    return value


def resolver(expression, *, ignore_failures: bool = False) -> Callable[[Context], object]:
    """`expression.resolve(context, ignore_failures)`, the fast way for a plain `a.b.c`."""
    lookups = _plain_lookups(expression)
    if lookups is None:
        return lambda context: expression.resolve(context, ignore_failures)
    first, rest = lookups[0], lookups[1:]

    def resolve(context):
        value = _lookup(context, first, rest)
        return expression.resolve(context, ignore_failures) if value is _MISSING else value

    return resolve


def _variable(node: VariableNode) -> Render:
    lookups = _plain_lookups(node.filter_expression)
    if lookups is None:
        return node.render_annotated
    first, rest = lookups[0], lookups[1:]
    slow = node.render_annotated
    if len(lookups) == 2:
        return _variable_2(first, rest[0], slow)

    def render_variable(context):
        value = _lookup(context, first, rest)
        kind = value.__class__
        if kind is str:
            return _escape(value) if context.autoescape else value
        if kind is SafeString:
            return value
        if value is _MISSING:
            return slow(context)
        if kind is int and not settings.USE_THOUSAND_SEPARATOR:
            return str(value)  # localize() -> number_format() -> numberformat.format()'s int case
        return _render_value(value, context)

    return render_variable


def _variable_2(first: str, second: str, slow: Render) -> Render:
    """`{{ a.b }}`, the most common shape: `_variable` with the lookup written out."""

    def render_variable_2(context):
        for d in reversed(context.dicts):
            if first in d:
                value = d[first]
                break
        else:
            return slow(context)
        if value.__class__ is not dict or second not in value:
            return slow(context)
        value = value[second]
        kind = value.__class__
        if kind is str:
            return _escape(value) if context.autoescape else value
        if kind is SafeString:
            return value
        if kind is int and not settings.USE_THOUSAND_SEPARATOR:
            return str(value)
        if callable(value):
            return slow(context)
        return _render_value(value, context)

    return render_variable_2


def _render_value(value, context) -> str:
    from django.template.base import render_value_in_context

    return render_value_in_context(value, context)


def _if(node: IfNode) -> Render:
    branches = [
        (_condition(condition) if condition is not None else None, _nodelist(nodelist))
        for condition, nodelist in node.conditions_nodelists
    ]

    def render_if(context):
        for condition, body in branches:
            if condition is None or condition(context):
                return body(context)
        return ""

    return render_if


def _condition(condition) -> Callable[[Context], object]:
    """Truthiness of an `{% if %}` condition, as IfNode.render decides it."""
    from django.template.base import VariableDoesNotExist

    def django_eval(context):
        try:
            return condition.eval(context)
        except VariableDoesNotExist:
            return None

    if (
        type(condition) is TemplateLiteral
        and not condition.value.filters
        and not isinstance(condition.value.var, Variable)
    ):
        constant = condition.value.var  # a string literal, resolved by the parser
        return lambda context: constant
    if getattr(condition, "id", None) == "not" and type(condition.first) is TemplateLiteral:
        operand = _condition(condition.first)

        def negation(context):  # smartif's prefix operator: False if the operand raises
            try:
                return not operand(context)
            except Exception:
                return False

        return negation
    if (
        getattr(condition, "id", None) == "=="
        and type(condition.first) is TemplateLiteral
        and type(condition.second) is TemplateLiteral
    ):
        left, right = _condition(condition.first), _condition(condition.second)

        def equality(context):  # smartif's infix operator: False if a side raises
            try:
                return left(context) == right(context)
            except Exception:
                return False

        return equality
    if type(condition) is not TemplateLiteral:
        return django_eval
    lookups = _plain_lookups(condition.value)
    if lookups is None:
        return django_eval
    first, rest = lookups[0], lookups[1:]

    def literal(context):
        value = _lookup(context, first, rest)
        return django_eval(context) if value is _MISSING else value

    return literal


def _for(node: ForNode) -> Render:
    body = _nodelist(node.nodelist_loop)
    empty = _nodelist(node.nodelist_empty)
    loopvar, is_reversed = node.loopvars[0], node.is_reversed
    sequence = resolver(node.sequence, ignore_failures=True)

    def render_for(context):  # ForNode.render with one loop variable
        parentloop = context.get("forloop", {})
        # context.push(), without the ContextDict and its context manager.
        dicts = context.dicts
        dicts.append({})
        try:
            values = sequence(context)
            if values is None:
                values = []
            if not hasattr(values, "__len__"):
                values = list(values)
            len_values = len(values)
            if len_values < 1:
                return empty(context)
            if is_reversed:
                values = reversed(values)
            out = []
            loop_dict = context["forloop"] = {"parentloop": parentloop}
            for i, item in enumerate(values):
                loop_dict["counter0"] = i
                loop_dict["counter"] = i + 1
                loop_dict["revcounter"] = len_values - i
                loop_dict["revcounter0"] = len_values - i - 1
                loop_dict["first"] = i == 0
                loop_dict["last"] = i == len_values - 1
                context[loopvar] = item
                out.append(body(context))
        finally:
            dicts.pop()
        return SafeString("".join(out))

    return render_for


def _autoescape(node: AutoEscapeControlNode) -> Render:
    body, setting = _nodelist(node.nodelist), node.setting

    def render_autoescape(context):
        old = context.autoescape
        context.autoescape = setting
        output = body(context)
        context.autoescape = old
        return SafeString(output) if setting else output

    return render_autoescape
