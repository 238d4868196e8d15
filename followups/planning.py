"""What new orders plan in the follow-ups app: their calls and, if someone fits, endorsements.

Called by notifications.planning inside the orders' transaction, once for all the new
orders of a request (a single order is a batch of one), in a constant number of queries.
"""

from followups.endorsements import endorsements_plan_for_orders
from followups.services import call_settings_for, calls_create_for_touchpoints


def followups_plan_for_new_orders(*, orders, touchpoints) -> list:
    """Calls for the orders' followup_call `touchpoints`, then endorsement requests.

    `orders` in arrival order: calls are assigned and ambassadors asked as if the orders
    had come one by one in that order. Returns the new endorsement_request touchpoints.
    """
    if not orders:
        return []
    merchant = orders[0].merchant
    rules = call_settings_for(merchant=merchant)
    calls_create_for_touchpoints(merchant=merchant, touchpoints=touchpoints, rules=rules)
    return endorsements_plan_for_orders(merchant=merchant, orders=orders, rules=rules)
