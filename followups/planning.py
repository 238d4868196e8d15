"""What new orders plan in the follow-ups app: their calls and, if someone fits, endorsements.

Called by notifications.planning inside the orders' transaction, once per batch:
`touchpoints` may belong to many orders (batch ingestion), so every order among
them is planned, not only `order`.
"""

from followups.endorsements import endorsement_plan_for_order
from followups.services import calls_create_for_touchpoints


def followups_plan_for_new_order(*, order, touchpoints) -> None:
    calls_create_for_touchpoints(merchant=order.merchant, touchpoints=touchpoints)
    orders = {tp.order_id: tp.order for tp in touchpoints} or {order.pk: order}
    for each in orders.values():
        endorsement_plan_for_order(merchant=each.merchant, order=each)
