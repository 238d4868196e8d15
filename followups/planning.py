"""What a new order plans in the follow-ups app: its call and, if someone fits, an endorsement.

Called by notifications.planning inside the order's transaction.
"""

from followups.endorsements import endorsement_plan_for_order
from followups.services import calls_create_for_touchpoints


def followups_plan_for_new_order(*, order, touchpoints) -> None:
    calls_create_for_touchpoints(merchant=order.merchant, touchpoints=touchpoints)
    endorsement_plan_for_order(merchant=order.merchant, order=order)
