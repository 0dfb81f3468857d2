"""What a webhook says about each kind of thing: the fields an integrator needs to act on it.

Contact details (addresses, phone numbers, bank accounts) are left out: an integrator that needs
them reads the order through the API with its token.
"""

from fenrun.commissions.models import Commission
from fenrun.orders.models import Order
from fenrun.referrals.models import ReferralCode, ReferralNode
from fenrun.wallet.models import Withdrawal


def order(order_id: int) -> dict:
    o = Order.objects.select_related("shipping_method").get(pk=order_id)
    return {
        "order": {
            "id": o.pk,
            "number": o.number,
            "status": o.status,
            "source": o.source,
            "external_ref": o.external_ref,
            "member_id": o.user_id,
            "payment_method": o.payment_method,
            "shipping_method": o.shipping_method.code if o.shipping_method_id else None,
            "carrier": o.carrier,
            "tracking_number": o.tracking_number,
            "goods_total": o.goods_total,
            "discount_total": o.discount_total,
            "shipping_fee": o.shipping_fee,
            "credit_used": o.credit_used,
            "grand_total": o.grand_total,
            "placed_at": o.placed_at,
            "paid_at": o.paid_at,
            "completed_at": o.completed_at,
        }
    }


def _commission(c: Commission) -> dict:
    return {
        "id": c.pk,
        "order_id": c.order_id,
        "order_number": c.order.number,
        "payee_id": c.payee_id,
        "level": c.level,
        "amount": c.amount,
        "status": c.status,
        "available_at": c.available_at,
    }


def commissions(commission_ids) -> list[dict]:
    rows = Commission.objects.filter(pk__in=list(commission_ids)).select_related("order")
    return [{"commission": _commission(c)} for c in rows.order_by("pk")]


def withdrawal(withdrawal_id: int) -> dict:
    w = Withdrawal.objects.get(pk=withdrawal_id)
    return {
        "withdrawal": {
            "id": w.pk,
            "member_id": w.member_id,
            "amount": w.amount,
            "fee": w.fee,
            "payout": w.payout,
            "status": w.status,
            "reference": w.reference,
            "paid_at": w.paid_at,
        }
    }


def member(user) -> dict:
    node = ReferralNode.objects.filter(user_id=user.pk).first()
    code = ReferralCode.objects.filter(user_id=user.pk).order_by("created_at", "pk").first()
    return {
        "member": {
            "id": user.pk,
            "referral_code": code.code if code else None,
            "sponsor_id": node.sponsor_id if node else None,
            "tree_level": node.depth if node else None,
            "bound_via": node.bound_via if node else "",
            "joined_at": user.date_joined,
        }
    }
