"""Property tests: any sequence of wallet operations keeps every invariant of the books."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fenrun.accounts.tests.factories import UserFactory
from fenrun.catalog.tests.factories import ProductFactory
from fenrun.orders.services import CheckoutError, change_status, place_order
from fenrun.orders.status import OrderStatus
from fenrun.orders.tests.factories import ShippingMethodFactory, home_recipient
from fenrun.wallet import selectors, services
from fenrun.wallet.models import Transaction, WalletSettings
from fenrun.wallet.services import WalletError
from fenrun.wallet.tests.conftest import earn, reverse, wallet_problems

ZERO = Decimal(0)
PRICE = Decimal(500)  # one item per order; the default cap lets credit pay half: NT$250


class WalletMachine(RuleBasedStateMachine):
    """A Python model of one member's wallet, checked against the books after every step."""

    @initialize()
    def setup(self):
        self.member = UserFactory()
        self.staff = UserFactory(is_staff=True)
        self.product = ProductFactory(price=PRICE, stock=100_000)
        self.shipping = ShippingMethodFactory()
        self.coins = self.credit = self.reserved = self.debt = ZERO
        self.released: dict[int, Decimal] = {}
        self.pending_conversion: tuple[int, Decimal] | None = None
        self.withdrawals: dict[int, tuple[Decimal, str]] = {}
        self.orders: dict[int, Decimal] = {}
        self.keys = 0

    def _refused(self, call, *errors) -> bool:
        before = Transaction.objects.count()
        expected = errors or (WalletError,)
        try:
            call()
        except expected:
            assert Transaction.objects.count() == before, "a refused request wrote entries"
            return True
        return False

    @rule(amount=st.integers(1, 600))
    def earn(self, amount):
        commission_id = earn(self.member, amount)
        repay = min(self.debt, amount)
        self.debt -= repay
        self.coins += amount - repay
        self.released[commission_id] = Decimal(amount)

    @precondition(lambda self: self.released)
    @rule(data=st.data())
    def reverse(self, data):
        commission_id = data.draw(st.sampled_from(sorted(self.released)))
        amount = self.released.pop(commission_id)
        reverse(self.member, commission_id, amount)
        taken = min(self.coins, amount)
        self.coins -= taken
        self.debt += amount - taken

    @rule(amount=st.integers(-5, 700))
    def request_conversion(self, amount):
        def call():
            return services.request_conversion(self.member, amount)

        should_fail = amount <= 0 or amount > self.coins or self.debt > 0 or self.pending_conversion
        if should_fail:
            assert self._refused(call)
            return
        conversion = call()
        self.pending_conversion = (conversion.pk, Decimal(amount))
        self.coins -= amount
        self.reserved += amount

    @precondition(lambda self: self.pending_conversion)
    @rule(decision=st.sampled_from(["approve", "reject", "cancel"]))
    def decide_conversion(self, decision):
        pk, coins = self.pending_conversion
        if decision == "approve":
            services.approve_conversion(pk, actor=self.staff)
            self.credit += coins
        elif decision == "reject":
            services.reject_conversion(pk, actor=self.staff, reason="no")
            self.coins += coins
        else:
            services.cancel_conversion(pk, member=self.member)
            self.coins += coins
        self.reserved -= coins
        self.pending_conversion = None
        # Deciding again is always refused.
        assert self._refused(lambda: services.approve_conversion(pk, actor=self.staff))

    @rule(amount=st.integers(1, 700))
    def staff_convert(self, amount):
        def call():
            return services.convert_coins(self.member, amount, actor=self.staff)

        if amount > self.coins or self.debt > 0:
            assert self._refused(call)
            return
        call()
        self.coins -= amount
        self.credit += amount

    @rule(amount=st.integers(1, 400))
    def spend(self, amount):
        def call():
            return place_order(
                items=[(self.product.pk, 1)],
                recipient=home_recipient(),
                shipping_method=self.shipping,
                payment_method="atm",
                user=self.member,
                credit_to_use=Decimal(amount),
            )

        if amount > PRICE / 2 or amount > self.credit:
            assert self._refused(call, CheckoutError)
            return
        order = call()
        self.orders[order.pk] = Decimal(amount)
        self.credit -= amount

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def refund(self, data):
        order_id = data.draw(st.sampled_from(sorted(self.orders)))
        from fenrun.orders.models import Order

        change_status(Order.objects.get(pk=order_id), OrderStatus.CANCELLED, actor=self.staff)
        self.credit += self.orders.pop(order_id)

    @rule(amount=st.integers(250, 900))
    def withdraw(self, amount):
        def call():
            return services.request_withdrawal(
                self.member,
                amount=amount,
                bank_code="812",
                account_number="1234567890",
                account_name="王小明",
            )

        if amount < 300 or amount > self.coins or self.debt > 0:
            assert self._refused(call)
            return
        withdrawal = call()
        self.withdrawals[withdrawal.pk] = (Decimal(amount), "pending")
        self.coins -= amount
        self.reserved += amount

    @precondition(lambda self: self.withdrawals)
    @rule(data=st.data(), decision=st.sampled_from(["approve", "reject", "pay", "cancel"]))
    def decide_withdrawal(self, data, decision):
        pk = data.draw(st.sampled_from(sorted(self.withdrawals)))
        amount, status = self.withdrawals[pk]
        calls = {
            "approve": lambda: services.approve_withdrawal(pk, actor=self.staff),
            "reject": lambda: services.reject_withdrawal(pk, actor=self.staff, reason="no"),
            "pay": lambda: services.mark_withdrawal_paid(pk, actor=self.staff, reference="R"),
            "cancel": lambda: services.cancel_withdrawal(pk, member=self.member),
        }
        allowed = {
            "approve": status == "pending",
            "reject": status in ("pending", "approved"),
            "pay": status in ("pending", "approved"),
            "cancel": status == "pending",
        }[decision]
        if not allowed:
            assert self._refused(calls[decision])
            return
        calls[decision]()
        if decision == "approve":
            self.withdrawals[pk] = (amount, "approved")
            return
        del self.withdrawals[pk]
        self.reserved -= amount
        if decision in ("reject", "cancel"):
            self.coins += amount

    @rule(kind=st.sampled_from(["coins", "credit", "debt"]), amount=st.integers(-300, 300))
    def adjust(self, kind, amount):
        self.keys += 1
        key = f"prop-{self.member.pk}-{self.keys}"

        def call():
            return services.adjust_balance(
                self.member,
                account_kind=kind,
                amount=amount,
                reason="property test",
                actor=self.staff,
                idempotency_key=key,
            )

        current = {"coins": self.coins, "credit": self.credit}.get(kind)
        if (
            amount == 0
            or (kind == "debt" and (amount < 0 or amount > self.debt))
            or (kind != "debt" and current + amount < 0)
        ):
            assert self._refused(call)
            return
        call()
        if kind == "coins":
            self.coins += amount
        elif kind == "credit":
            self.credit += amount
        else:
            self.debt -= amount

    @invariant()
    def books_match_the_model(self):
        b = selectors.balances(self.member)
        assert (b.coins, b.credit, b.coins_reserved, b.debt) == (
            self.coins,
            self.credit,
            self.reserved,
            self.debt,
        )
        assert min(b.coins, b.credit, b.coins_reserved, b.debt) >= 0

    def teardown(self):
        # The whole reconciliation after each run (every step would make the test crawl); the
        # model comparison above runs after every step.
        if hasattr(self, "member"):
            assert wallet_problems() == []


def test_any_sequence_of_operations_keeps_the_books(db):
    run_state_machine_as_test(
        WalletMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_any_sequence_in_automatic_mode_keeps_the_books(db):
    wallet_settings = WalletSettings.load()
    wallet_settings.conversion_mode = WalletSettings.ConversionMode.AUTOMATIC
    wallet_settings.save()

    class AutomaticMachine(WalletMachine):
        @rule(amount=st.integers(1, 600))
        def earn(self, amount):
            commission_id = earn(self.member, amount)
            repay = min(self.debt, amount)
            self.debt -= repay
            self.credit += amount - repay  # ratio 1: whole coins become credit at once
            self.released[commission_id] = Decimal(amount)

    run_state_machine_as_test(
        AutomaticMachine,
        settings=settings(
            max_examples=6,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


@given(
    coins=st.integers(1, 10**8),
    ratio=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999"), places=4),
)
def test_conversion_never_pays_more_than_the_ratio(coins, ratio):
    credit = services.conversion_credit(Decimal(coins), ratio)
    exact = Decimal(coins) * ratio
    assert credit == credit.to_integral_value()
    assert exact - 1 < credit <= exact


@given(
    goods=st.decimals(min_value=0, max_value=10**7, places=2),
    shipping=st.decimals(min_value=0, max_value=10**4, places=2),
    share=st.decimals(min_value=0, max_value=100, places=2),
    covers_shipping=st.booleans(),
)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_credit_cap_never_exceeds_the_allowed_share(goods, shipping, share, covers_shipping):
    rules = WalletSettings(credit_max_share_percent=share, credit_covers_shipping=covers_shipping)
    cap = services.credit_cap(goods, shipping, rules)
    assert cap >= 0
    assert cap == cap.to_integral_value()
    assert cap <= goods * share / 100 + (shipping if covers_shipping else 0)
