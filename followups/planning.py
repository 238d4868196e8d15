"""What new orders plan in the follow-ups app: their calls and, if someone fits, endorsements.

Called by notifications.planning inside the orders' transaction, once for all the new
orders of a request (a single order is a batch of one), in a constant number of queries.
"""

import functools

from django.db import connection

from followups.endorsements import endorsements_plan_for_orders
from followups.models import Ambassador, CallSettings
from followups.services import account_managers, calls_create_for_touchpoints
from postpurchase.models import Merchant


def followups_plan_for_new_orders(*, orders, touchpoints, facts=None) -> list:
    """Calls for the orders' followup_call `touchpoints`, then endorsement requests.

    `orders` in arrival order: calls are assigned and ambassadors asked as if the orders
    had come one by one in that order. Returns the new endorsement_request touchpoints.
    `facts`: the merchant's planning facts (`planning_facts_from_row`) when the caller
    read them in this transaction with a statement of its own; None: read here.
    """
    if not orders:
        return []
    merchant = orders[0].merchant
    rules, team_exists, ambassadors_exist = facts or _planning_facts(merchant=merchant)
    calls_create_for_touchpoints(
        merchant=merchant, touchpoints=touchpoints, rules=rules, team_exists=team_exists
    )
    return endorsements_plan_for_orders(
        merchant=merchant, orders=orders, rules=rules, ambassadors_exist=ambassadors_exist
    )


_RULE_FIELDS = CallSettings._meta.concrete_fields


def _planning_facts(*, merchant) -> tuple[CallSettings, bool, bool]:
    """The call rules, whether there is an account manager and whether there is an
    ambassador, in one query: a shop without a team or ambassadors (most) then skips
    locking the team and matching ambassadors (two statements of every ingested order).
    """
    sql, params = planning_facts_sql(merchant)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return planning_facts_from_row(merchant, cursor.fetchone())


def planning_facts_sql(merchant) -> tuple[str, tuple]:
    """The statement `_planning_facts` runs, for a caller that reads it with its own
    (orders/services.py: with a new order's lookup): one row, read by
    `planning_facts_from_row`."""
    return _planning_facts_sql(merchant.pk)


PLANNING_FACTS_COLUMNS = 2 + len(_RULE_FIELDS)


def planning_facts_from_row(merchant, row) -> tuple[CallSettings, bool, bool]:
    team_exists, ambassadors_exist, *values = row
    if values[0] is None:  # never set: the defaults (as call_settings_for)
        rules = CallSettings(merchant=merchant)
    else:
        rules = CallSettings.from_db("default", [f.attname for f in _RULE_FIELDS], values)
        rules.merchant = merchant
    return rules, team_exists, ambassadors_exist


@functools.lru_cache(maxsize=1024)
def _planning_facts_sql(merchant_id: int) -> tuple[str, tuple]:
    # Compiled once per merchant and process: compiling cost more than running it.
    merchant = Merchant(pk=merchant_id)
    team, team_params = account_managers(merchant=merchant).values("id").query.sql_with_params()
    ambassadors, ambassador_params = (
        Ambassador.objects.for_merchant(merchant).values("id").query.sql_with_params()
    )
    columns = ", ".join(f'cs."{field.column}"' for field in _RULE_FIELDS)
    # Only table and column names and ORM-compiled SQL are formatted in; values are params.
    sql = (
        f"SELECT EXISTS ({team}), EXISTS ({ambassadors}), {columns} "  # noqa: S608
        f"FROM (SELECT 1) AS one LEFT JOIN {CallSettings._meta.db_table} cs "
        "ON cs.merchant_id = %s"
    )
    return sql, (*team_params, *ambassador_params, merchant_id)
