"""Stripe Billing behind the Checkout peer (tests/peers/stripe_checkout.py): products, prices,
customers, subscriptions, invoices and customer portal sessions, as strict as Stripe.

A subscription-mode Checkout Session, once `complete()`d, makes a customer, a subscription
and its first invoice; `advance(to)` then moves the peer's clock the way a Stripe test clock
does (docs.stripe.com/billing/testing/test-clocks): at each moment something falls due (a trial
about to end, a period's end, an invoice's finalization an hour after it was drafted, a retry
of a failed payment) the peer does what Stripe does and records the events Stripe sends, in
its order, in the shape of the API version the `stripe` library pins. Each rule names its
source beside it, and has a test in tests/integration/test_stripe_billing_peer.py; where Stripe
documents a rule but not its error text, the comment says the text is the peer's.

A customer's card decides how its charges go, as Stripe's test cards do
(docs.stripe.com/testing#declined-payments, #authentication-and-setup):
`pm_card_visa` pays; `pm_card_chargeCustomerFail` (4000 0000 0000 0341) attaches but every
charge is declined; `pm_card_authenticationRequired` (4000 0027 6000 3184) asks for
authentication on every charge, so renewals, made off-session, cannot go through.
`set_card(customer, card)` stands for the customer changing card (say, in the portal).
"""

from __future__ import annotations

import calendar
import copy
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.peers.stripe_checkout import Refused, _error, check_amount, unflatten

if TYPE_CHECKING:
    from tests.peers.stripe_checkout import StripeCheckoutPeer

# --- Stripe's words -------------------------------------------------------------------------

# docs.stripe.com/error-codes#resource-missing: "The ID provided is not valid. Either the
# resource does not exist, or an ID for a different resource has been provided"; Stripe words
# it "No such price: 'price_123'" (the checkout peer's "No such checkout.session" likewise).
# An ID in the URL is a 404; an ID passed as a parameter is a 400 naming that parameter.
NO_SUCH = "No such {kind}: '{id}'"
# docs.stripe.com/error-codes#parameter-missing, Stripe's wording of it
MISSING = "Missing required param: {param}."
# Stripe's wording for a value off an enum, e.g. "Invalid interval: must be one of day, month,
# week, or year" (stripe/stripe-python#123, fixed by Stripe to list `day` too)
NOT_ONE_OF = "Invalid {param}: must be one of {choices}"
# Checkout in `payment` mode with a recurring price, as Stripe answers it (quoted in
# dayhaysoos/use-shopping-cart#224 and invertase/stripe-firebase-extensions#190)
RECURRING_IN_PAYMENT = (
    "You specified `payment` mode but passed a recurring price. Either switch to `subscription`"
    " mode or use only one-time prices."
)
# Checkout in `subscription` mode with one-time prices only, as Stripe answers it (quoted in
# invertase/stripe-firebase-extensions#98); docs.stripe.com/api/checkout/sessions/create
# #create_checkout_session-line_items: "For subscription mode, there is a maximum of 20 line
# items with recurring Prices and 20 line items with one-time Prices"
NO_RECURRING = (
    "You must provide at least one recurring price in `subscription` mode when using prices."
)
MOST_LINE_ITEMS = 20
# docs.stripe.com/api/checkout/sessions/create#create_checkout_session-payment_intent_data:
# "Use only in `payment` mode"; the text is Stripe's (quoted in stripe/stripe-dotnet#3278)
NO_PAYMENT_INTENT_DATA = "You can not pass `payment_intent_data` in `subscription` mode."
# ...#create_checkout_session-subscription_data-trial_period_days: "Has to be at least 1"
# (text the peer's); the upper bound, 730 days, is Stripe's answer as quoted in
# stripe/stripe-ruby#804 and arlyon/async-stripe#445
TRIAL_TOO_SHORT = "The trial period must be at least 1 day."
TRIAL_TOO_LONG = "The maximum number of trial period days is 730 (2 years)."
LONGEST_TRIAL_DAYS = 730
# ...#create_checkout_session-subscription_data-trial_end: "Has to be at least 48 hours in the
# future"; the text is Stripe's (quoted in stripe/stripe-python#679)
TRIAL_END_TOO_SOON = "The `trial_end` date has to be at least 2 days in the future."
# docs.stripe.com/api/prices/create#create_price-recurring-interval_count: "Maximum of three
# years interval allowed (3 years, 36 months, or 156 weeks)" (text the peer's)
LONGEST_INTERVAL = {"day": 1095, "week": 156, "month": 36, "year": 3}
INTERVAL_TOO_LONG = "The maximum billing interval is 3 years (3 years, 36 months, or 156 weeks)."
# docs.stripe.com/api/prices/create#create_price-product: one of `product` or `product_data`
# is required (text the peer's)
NO_PRODUCT = "You must specify either `product` or `product_data` when creating a price."
# a subscription item takes recurring prices only; the text is Stripe's (quoted in
# stripe/stripe-dotnet#2228)
ONE_TIME_PRICE = (
    "The price specified is set to `type=one_time` but this field only accepts prices with"
    " `type=recurring`."
)
# docs.stripe.com/api/subscriptions/update: a canceled subscription takes no update but its
# metadata and cancellation details; the text is Stripe's (quoted in fjordllc/bootcamp#10390
# and BasedHardware/omi#11289)
CANCELED_UPDATE = "A canceled subscription can only update its cancellation_details and metadata."
# docs.stripe.com/api/subscriptions/list: `limit` "can range between 1 and 100, and the
# default is 10"; the text is Stripe's wording of a bound (as its answers to limit=0 and
# limit=101 read)
LIST_LIMIT = (1, 100)
LIST_DEFAULT = 10
LIST_TOO_FEW = "This value must be greater than or equal to 1."
LIST_TOO_MANY = "This value must be less than or equal to 100."
# ...#list_subscriptions-status: one of these, or none: "If no value is supplied, all
# subscriptions that have not been canceled are returned"; `ended` is canceled and
# incomplete_expired together
LIST_STATUSES = ("active", "all", "canceled", "ended", "incomplete", "incomplete_expired",
                 "past_due", "paused", "trialing", "unpaid")  # fmt: skip
# docs.stripe.com/expand: a list's objects are expanded by `data.<field>`, only the fields
# the API reference marks expandable; anything else is refused with Stripe's words
EXPANDABLE = ("customer", "latest_invoice")
NOT_EXPANDABLE = "This property cannot be expanded ({path})."
# a boolean parameter that is neither true nor false, in Stripe's wording of it (as its API
# answers, e.g. "Invalid boolean: yes" for prorate=yes)
INVALID_BOOLEAN = "Invalid boolean: {value}"
# docs.stripe.com/api/subscriptions/resume: "Initiates resumption of a paused subscription"
# (text the peer's)
NOT_PAUSED = "Only a subscription with a status of paused can be resumed."
# docs.stripe.com/api/customer_portal/sessions/create: the account must have saved its portal
# settings (a default configuration); the text is Stripe's (quoted in mozilla/fxa#13245)
PORTAL_UNSAVED = (
    "You can’t create a portal session in test mode until you save your customer portal"  # noqa: RUF001
    " settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal."
)

INTERVALS = ("day", "month", "week", "year")  # in the order Stripe lists them
PRORATIONS = ("always_invoice", "create_prorations", "none")
PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")
MISSING_PM = ("cancel", "create_invoice", "pause")
COLLECTIONS = ("always", "if_required")
# docs.stripe.com/testing: how each test card's charges go
CARDS = {
    "pm_card_visa": "succeeds",
    "pm_card_chargeCustomerFail": "declined",
    "pm_card_authenticationRequired": "requires_action",
}
# docs.stripe.com/billing/subscriptions/webhooks#events: customer.subscription.trial_will_end
# "Sent three days before the trial period ends"; docs.stripe.com/billing/subscriptions/
# overview#invoice-lifecycle: a renewal invoice is drafted at the period's end and finalized
# "approximately one hour" later, then charged
TRIAL_WARNING = timedelta(days=3)
FINALIZES_AFTER = timedelta(hours=1)
# docs.stripe.com/billing/revenue-recovery/smart-retries: Smart Retries' "recommended default
# is 8 tries within 2 weeks"; the peer reads that as 8 retries after the first attempt, and,
# where Stripe times them by its model, spreads them evenly, the last at two weeks. "Stripe
# doesn't retry payments if no payment methods are available." Once every retry failed Stripe
# does as the account's settings say: cancel the subscription, mark it unpaid, or leave it
# past_due (`Billing.after_retries`); cancel is the default by users' accounts of the
# Dashboard (Stripe's page does not name a default)
RETRIES = 8
RETRY_WINDOW = timedelta(weeks=2)


class Missing(Refused):
    """A 404 `resource_missing`: the ID in the URL names nothing."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(NO_SUCH.format(kind=kind, id=ident), "id", "resource_missing")


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _at(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC)


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def _listed(url: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "total_count": len(data), "url": url}


def _truthy(value: Any) -> bool:
    return str(value).lower() == "true"


def shifted(anchor: datetime, interval: str, count: int) -> datetime:
    """`count` intervals after `anchor`; a month's day is kept, or the month's last day when
    it has none (docs.stripe.com/billing/subscriptions/billing-cycle: "a subscription with a
    billing cycle anchor of January 31 bills next on the last day of February")."""
    if interval in ("day", "week"):
        return anchor + timedelta(**{f"{interval}s": count})
    months = count * (12 if interval == "year" else 1)
    year, month = divmod(anchor.month - 1 + months, 12)
    year += anchor.year
    day = min(anchor.day, calendar.monthrange(year, month + 1)[1])
    return anchor.replace(year=year, month=month + 1, day=day)


def _page_limit(asked: dict[str, Any]) -> int:
    """A list's `limit`, as every list endpoint takes it (see LIST_LIMIT)."""
    limit = _integer(asked.get("limit", LIST_DEFAULT), "limit")
    if not LIST_LIMIT[0] <= limit <= LIST_LIMIT[1]:
        raise Refused(LIST_TOO_FEW if limit < LIST_LIMIT[0] else LIST_TOO_MANY, "limit")
    return limit


def _choice(value: Any, choices: tuple[str, ...], param: str) -> str:
    if value not in choices:
        *most, last = choices
        listed = f"{', '.join(most)}, or {last}" if most else last
        raise Refused(NOT_ONE_OF.format(param=param, choices=listed), param)
    return str(value)


def _boolean(value: Any, param: str) -> bool:
    """A boolean parameter, as Stripe reads one: `true` or `false`, else refused in Stripe's
    words ("Invalid boolean: yes")."""
    if str(value).lower() not in ("true", "false"):
        raise Refused(INVALID_BOOLEAN.format(value=value), param)
    return str(value).lower() == "true"


def _integer(value: Any, param: str) -> int:
    if not str(value).lstrip("-").isdigit():
        raise Refused(f"Invalid integer: {value}", param)
    return int(value)


@dataclass
class _Timeline:
    """What one subscription has still to do, on the peer's clock."""

    anchor: datetime  # the billing cycle anchor: periods count from it
    interval: str
    count: int
    cycle: int = 0  # the current period's, counted from the anchor
    warned: bool = False  # trial_will_end sent
    pending: list[dict[str, Any]] = field(default_factory=list)  # proration lines to invoice


@dataclass
class _Dunning:
    """An open invoice's payment attempts (see RETRIES)."""

    first_failed: datetime
    retries: int = 0


class Billing:
    def __init__(self, peer: StripeCheckoutPeer) -> None:
        self.peer = peer
        self.products: dict[str, dict[str, Any]] = {}
        self.prices: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.cards: dict[str, str | None] = {}  # each customer's default payment method
        self.portal_saved = True  # the account saved its portal settings (see PORTAL_UNSAVED)
        self.after_retries = "cancel"  # or "unpaid", "past_due": see RETRIES
        self._timelines: dict[str, _Timeline] = {}
        self._dunning: dict[str, _Dunning] = {}
        self._finalizes: dict[str, datetime] = {}  # draft invoices' finalization times
        self._checkouts: dict[str, dict[str, Any]] = {}  # subscription-mode sessions' items
        self._numbers = 0

    def routes(self, router: web.UrlDispatcher) -> None:
        add = router.add_route
        add("POST", "/v1/products", self._handle(self._create_product))
        add("GET", "/v1/products/{id}", self._handle(self._named(self.products, "product")))
        add("POST", "/v1/prices", self._handle(self._create_price))
        add("GET", "/v1/prices/{id}", self._handle(self._named(self.prices, "price")))
        add("POST", "/v1/customers", self._handle(self._create_customer))
        add("GET", "/v1/customers/{id}", self._handle(self._named(self.customers, "customer")))
        add("GET", "/v1/invoices/{id}", self._handle(self._named(self.invoices, "invoice")))
        add("GET", "/v1/invoice_payments", self._handle(self._invoice_payments))
        named_subscription = self._named(self.subscriptions, "subscription")
        add("GET", "/v1/subscriptions", self._handle(self._list_subscriptions))
        add("GET", "/v1/subscriptions/{id}", self._handle(named_subscription))
        add("POST", "/v1/subscriptions/{id}", self._handle(self._update))
        add("DELETE", "/v1/subscriptions/{id}", self._handle(self._cancel))
        add("POST", "/v1/subscriptions/{id}/resume", self._handle(self._resume))
        add("POST", "/v1/billing_portal/sessions", self._handle(self._portal))

    # --- the HTTP side ---------------------------------------------------------------------

    def _handle(
        self, act: Callable[[web.Request, dict[str, Any]], Awaitable[dict[str, Any]]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            params = await self.peer._authorised(request)
            if isinstance(params, web.Response):
                return params
            try:
                return web.json_response(await act(request, params))
            except Refused as refused:
                status = 404 if isinstance(refused, Missing) else 400
                return _error(status, refused.message, code=refused.code, param=refused.param)

        return handler

    def _named(
        self, store: dict[str, dict[str, Any]], kind: str
    ) -> Callable[[web.Request, dict[str, Any]], Awaitable[dict[str, Any]]]:
        async def retrieve(request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
            return self._lookup(store, kind, request.match_info["id"])

        return retrieve

    @staticmethod
    def _lookup(store: dict[str, dict[str, Any]], kind: str, ident: str) -> dict[str, Any]:
        found = store.get(ident)
        if found is None:
            raise Missing(kind, ident)
        return found

    @staticmethod
    def _referenced(store: dict[str, dict[str, Any]], kind: str, ident: str, param: str) -> Any:
        """An object named by a parameter: a 400 naming the parameter if there is none."""
        found = store.get(ident)
        if found is None:
            raise Refused(NO_SUCH.format(kind=kind, id=ident), param, "resource_missing")
        return found

    @staticmethod
    def _caused_by(request: web.Request) -> dict[str, str | None]:
        return {
            "id": f"req_{secrets.token_hex(7)}",
            "idempotency_key": request.headers.get("Idempotency-Key"),
        }

    def _now(self) -> datetime:
        return self.peer.clock.now()

    def _event(
        self,
        kind: str,
        obj: dict[str, Any],
        request: dict[str, str | None] | None = None,
        previous: dict[str, Any] | None = None,
    ) -> None:
        self.peer._event(kind, copy.deepcopy(obj), request, previous)

    # --- products and prices ---------------------------------------------------------------

    async def _create_product(self, request: web.Request, params: dict[str, Any]) -> Any:
        return self._product(params)

    def _product(self, params: dict[str, Any], param: str = "name") -> dict[str, Any]:
        """docs.stripe.com/api/products/create: `name` is required; the shape of
        docs.stripe.com/api/products/object."""
        if not params.get("name"):
            raise Refused(MISSING.format(param=param), param, "parameter_missing")
        now = _ts(self._now())
        product = {"id": _id("prod"), "object": "product", "active": True, "created": now,
                   "default_price": None, "description": params.get("description"),
                   "images": [], "livemode": False, "marketing_features": [],
                   "metadata": params.get("metadata", {}), "name": params["name"],
                   "package_dimensions": None, "shippable": None, "statement_descriptor": None,
                   "tax_code": None, "type": "service", "unit_label": None, "updated": now,
                   "url": None}  # fmt: skip
        self.products[product["id"]] = product
        return product

    async def _create_price(self, request: web.Request, params: dict[str, Any]) -> Any:
        return self._price(params, "")

    def _price(self, params: dict[str, Any], at: str) -> dict[str, Any]:
        """docs.stripe.com/api/prices/create (or a line item's `price_data`, whose params sit
        under `at`): currency, unit_amount and a product are required; `recurring[interval]`
        is day, week, month or year, at most three years in all. The amount keeps the
        currency's rules (tests/peers/stripe_checkout.py: check_amount)."""
        for name in ("currency", "unit_amount"):
            if params.get(name) in (None, ""):
                raise Refused(MISSING.format(param=at + name), at + name, "parameter_missing")
        currency = str(params["currency"]).lower()
        amount = _integer(params["unit_amount"], f"{at}unit_amount")
        check_amount(amount, currency, f"{at}unit_amount")
        if params.get("product"):
            product = self._referenced(self.products, "product", params["product"], f"{at}product")[
                "id"
            ]
        elif "product_data" in params:
            product = self._product(params["product_data"], f"{at}product_data[name]")["id"]
        else:
            raise Refused(NO_PRODUCT, f"{at}product")
        recurring = None
        if "recurring" in params:
            asked = params["recurring"]
            interval = _choice(asked.get("interval"), INTERVALS, f"{at}recurring[interval]")
            count = _integer(asked.get("interval_count", 1), f"{at}recurring[interval_count]")
            if not 1 <= count <= LONGEST_INTERVAL[interval]:
                raise Refused(INTERVAL_TOO_LONG, f"{at}recurring[interval_count]")
            recurring = {"interval": interval, "interval_count": count, "meter": None,
                         "trial_period_days": None, "usage_type": "licensed"}  # fmt: skip
        price = {"id": _id("price"), "object": "price", "active": True,
                 "billing_scheme": "per_unit", "created": _ts(self._now()), "currency": currency,
                 "custom_unit_amount": None, "livemode": False,
                 "lookup_key": params.get("lookup_key"), "metadata": params.get("metadata", {}),
                 "nickname": params.get("nickname"), "product": product, "recurring": recurring,
                 "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None,
                 "type": "recurring" if recurring else "one_time", "unit_amount": amount,
                 "unit_amount_decimal": str(amount)}  # fmt: skip
        self.prices[price["id"]] = price
        return price

    def _line_price(self, item: dict[str, Any], n: int) -> dict[str, Any]:
        """A line item's price: a `price` ID, or `price_data` made into a price as Stripe
        does (docs.stripe.com/api/checkout/sessions/create#create_checkout_session-line_items)."""
        at = f"line_items[{n}]"
        if item.get("price"):
            return self._referenced(self.prices, "price", item["price"], f"{at}[price]")
        if "price_data" in item:
            return self._price(item["price_data"], f"{at}[price_data][")
        raise Refused(MISSING.format(param=f"{at}[price]"), f"{at}[price]", "parameter_missing")

    # --- Checkout ------------------------------------------------------------------------

    def one_time(self, item: dict[str, Any], n: int) -> dict[str, Any]:
        """A `payment`-mode line item's price data; a recurring price is refused."""
        recurring = "recurring" in item.get("price_data", {})
        if item.get("price"):
            price = self._referenced(self.prices, "price", item["price"], f"line_items[{n}][price]")
            recurring = price["type"] == "recurring"
            item = {**item, "price_data": {"currency": price["currency"],
                                           "unit_amount": price["unit_amount"]}}  # fmt: skip
        if recurring:
            raise Refused(RECURRING_IN_PAYMENT, f"line_items[{n}]")
        return dict(item.get("price_data", {}))

    def subscription_checkout(
        self, params: dict[str, Any], items: list[dict[str, Any]]
    ) -> tuple[str, int, dict[str, Any], dict[str, Any]]:
        """A `subscription`-mode session's currency, first amount due, extra public fields and
        what completing it needs (see the constants above for each rule)."""
        if "payment_intent_data" in params:
            raise Refused(NO_PAYMENT_INTENT_DATA, "payment_intent_data")
        lines = []
        for n, item in enumerate(items):
            quantity = _integer(item.get("quantity", 1), f"line_items[{n}][quantity]")
            lines.append((self._line_price(item, n), quantity))
        recurring = [price for price, _ in lines if price["type"] == "recurring"]
        if not recurring:
            raise Refused(NO_RECURRING, "line_items")
        if len(recurring) > MOST_LINE_ITEMS or len(lines) - len(recurring) > MOST_LINE_ITEMS:
            raise Refused(f"You can have at most {MOST_LINE_ITEMS} line items.", "line_items")
        data = params.get("subscription_data", {})
        now = self._now()
        trial_end = None
        if "trial_period_days" in data:
            days = _integer(data["trial_period_days"], "subscription_data[trial_period_days]")
            if days < 1:
                raise Refused(TRIAL_TOO_SHORT, "subscription_data[trial_period_days]")
            if days > LONGEST_TRIAL_DAYS:
                raise Refused(TRIAL_TOO_LONG, "subscription_data[trial_period_days]")
            trial_end = now + timedelta(days=days)
        elif "trial_end" in data:
            trial_end = _at(_integer(data["trial_end"], "subscription_data[trial_end]"))
            if trial_end - now < timedelta(hours=48):
                raise Refused(TRIAL_END_TOO_SOON, "subscription_data[trial_end]")
            if trial_end - now > timedelta(days=LONGEST_TRIAL_DAYS):
                raise Refused(TRIAL_TOO_LONG, "subscription_data[trial_end]")
        settings = data.get("trial_settings", {}).get("end_behavior", {})
        missing = _choice(
            settings.get("missing_payment_method", "create_invoice"), MISSING_PM,
            "subscription_data[trial_settings][end_behavior][missing_payment_method]",
        )  # fmt: skip
        collection = _choice(
            params.get("payment_method_collection", "always"), COLLECTIONS,
            "payment_method_collection",
        )  # fmt: skip
        currency = lines[0][0]["currency"]
        due = 0 if trial_end else sum(price["unit_amount"] * q for price, q in lines)
        private = {"lines": lines, "trial_end": trial_end, "missing": missing,
                   "metadata": data.get("metadata", {}), "collection": collection}  # fmt: skip
        return currency, due, {"subscription": None, "invoice": None,
                               "payment_method_collection": collection}, private  # fmt: skip

    def remember(self, session_id: str, private: dict[str, Any]) -> None:
        self._checkouts[session_id] = private

    async def complete(self, session: dict[str, Any], card: str | None) -> dict[str, Any]:
        """The fan subscribes on Stripe's page with `card` (None: no card, only where the
        session lets a trial start without one: payment_method_collection=if_required,
        docs.stripe.com/payments/checkout/free-trials). A declined first payment leaves the
        session open, as on Stripe's page; authentication asked for is given, the fan being
        there."""
        private = self._checkouts[session["id"]]
        trial_end = private["trial_end"]
        if card is None and not (trial_end and private["collection"] == "if_required"):
            raise ValueError(f"session {session['id']} needs a card")
        if card is not None and card not in CARDS:
            raise ValueError(f"{card} is none of the peer's test cards {sorted(CARDS)}")
        if card is not None and not trial_end and CARDS[card] == "declined":
            raise ValueError(f"the card was declined: session {session['id']} stays open")
        customer = self._customer({"email": "fan@example.com", "name": "A Fan"})
        self.cards[customer["id"]] = card
        sub = self._subscribe(customer["id"], private, card)
        invoice = self._invoice(sub, "subscription_create", self._period_lines(sub))
        self._event("invoice.created", invoice)
        await self._finalize(invoice, on_session=True)
        session |= {
            "status": "complete",
            "payment_status": "no_payment_required" if trial_end else "paid",
            "customer": customer["id"],
            "subscription": sub["id"],
            "invoice": invoice["id"],
            "customer_details": {"email": customer["email"], "name": customer["name"]},
        }
        self.peer._event("checkout.session.completed", copy.deepcopy(session))
        return self.peer.events[-1]

    # --- customers, subscriptions, invoices ------------------------------------------------

    async def _create_customer(self, request: web.Request, params: dict[str, Any]) -> Any:
        return self._customer(params, self._caused_by(request))

    def _customer(
        self, params: dict[str, Any], request: dict[str, str | None] | None = None
    ) -> dict[str, Any]:
        """docs.stripe.com/api/customers/object, and its customer.created event."""
        customer = {"id": _id("cus"), "object": "customer", "address": None, "balance": 0,
                    "created": _ts(self._now()), "currency": None, "default_source": None,
                    "delinquent": False, "description": params.get("description"),
                    "email": params.get("email"), "invoice_prefix": secrets.token_hex(4).upper(),
                    "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                                         "footer": None, "rendering_options": None},
                    "livemode": False, "metadata": params.get("metadata", {}),
                    "name": params.get("name"), "next_invoice_sequence": 1, "phone": None,
                    "preferred_locales": [], "shipping": None, "tax_exempt": "none",
                    "test_clock": None}  # fmt: skip
        self.customers[customer["id"]] = customer
        self.cards.setdefault(customer["id"], None)
        self._event("customer.created", customer, request)
        return customer

    def set_card(self, customer: str, card: str | None) -> None:
        """The customer's default payment method is now `card` (one of CARDS, or none)."""
        if card is not None and card not in CARDS:
            raise ValueError(f"{card} is none of the peer's test cards {sorted(CARDS)}")
        self.cards[customer] = card
        pm = None if card is None else f"pm_{card.removeprefix('pm_card_')}"
        self.customers[customer]["invoice_settings"]["default_payment_method"] = pm
        for sub in self.subscriptions.values():
            if sub["customer"] == customer:
                sub["default_payment_method"] = pm

    def _subscribe(
        self, customer: str, private: dict[str, Any], card: str | None
    ) -> dict[str, Any]:
        """docs.stripe.com/api/subscriptions/object: `trialing` through a trial, else `active`
        (Checkout makes the subscription once the first payment went through); the billing
        period sits on each item (current_period_start/end) since API version 2025-03-31."""
        now = self._now()
        trial_end: datetime | None = private["trial_end"]
        recurring = next(price for price, _ in private["lines"] if price["type"] == "recurring")
        interval = recurring["recurring"]["interval"]
        count = recurring["recurring"]["interval_count"]
        sub_id = _id("sub")
        # a trial is the period before the anchor, its end: periods count from there
        timeline = _Timeline(anchor=trial_end or now, interval=interval, count=count,
                             cycle=-1 if trial_end else 0)  # fmt: skip
        pm = None if card is None else f"pm_{card.removeprefix('pm_card_')}"
        items = [self._item(sub_id, price, quantity) for price, quantity in private["lines"]
                 if price["type"] == "recurring"]  # fmt: skip
        sub = {"id": sub_id, "object": "subscription", "application": None,
               "billing_cycle_anchor": _ts(timeline.anchor),
               "billing_mode": {"type": "classic"}, "cancel_at": None,
               "cancel_at_period_end": False, "canceled_at": None,
               "cancellation_details": {"comment": None, "feedback": None, "reason": None},
               "collection_method": "charge_automatically", "created": _ts(now),
               "currency": recurring["currency"], "customer": customer,
               "default_payment_method": pm, "description": None, "discounts": [],
               "ended_at": None, "items": _listed(f"/v1/subscription_items?subscription={sub_id}",
                                                  items),
               "latest_invoice": None, "livemode": False, "metadata": private["metadata"],
               "pause_collection": None, "pending_update": None, "start_date": _ts(now),
               "status": "trialing" if trial_end else "active", "test_clock": None,
               "trial_end": _ts(trial_end) if trial_end else None,
               "trial_settings": {"end_behavior": {"missing_payment_method": private["missing"]}},
               "trial_start": _ts(now) if trial_end else None}  # fmt: skip
        self.subscriptions[sub_id] = sub
        self._timelines[sub_id] = timeline
        self._set_period(sub, now, trial_end or shifted(now, interval, count))
        self._event("customer.subscription.created", sub)
        if trial_end and trial_end - now <= TRIAL_WARNING:
            # "If a trial is shortened so that fewer than three days remain, this event can
            # fire immediately" (the `stripe` library's note on the event)
            timeline.warned = True
            self._event("customer.subscription.trial_will_end", sub)
        return sub

    def _item(self, sub_id: str, price: dict[str, Any], quantity: int) -> dict[str, Any]:
        return {"id": _id("si"), "object": "subscription_item", "created": _ts(self._now()),
                "current_period_end": None, "current_period_start": None, "discounts": [],
                "metadata": {}, "price": price, "quantity": quantity,
                "subscription": sub_id, "tax_rates": []}  # fmt: skip

    @staticmethod
    def _set_period(sub: dict[str, Any], start: datetime, end: datetime) -> None:
        for item in sub["items"]["data"]:
            item["current_period_start"], item["current_period_end"] = _ts(start), _ts(end)

    @staticmethod
    def _period(sub: dict[str, Any]) -> tuple[datetime, datetime]:
        item = sub["items"]["data"][0]
        return _at(item["current_period_start"]), _at(item["current_period_end"])

    def _period_lines(self, sub: dict[str, Any]) -> list[dict[str, Any]]:
        """The period's lines: nothing to pay through a trial (Stripe still bills a 0 line,
        "Trial period for …")."""
        start, end = self._period(sub)
        trial = sub["status"] == "trialing"
        lines = []
        for item in sub["items"]["data"]:
            price, quantity = item["price"], item["quantity"]
            amount = 0 if trial else price["unit_amount"] * quantity
            name = self.products[price["product"]]["name"]
            words = f"Trial period for {name}" if trial else f"{quantity} × {name}"  # noqa: RUF001
            lines.append(self._line(sub, item, amount, words, start, end, proration=False))
        return lines

    def _line(self, sub: dict[str, Any], item: dict[str, Any], amount: int, words: str,
              start: datetime, end: datetime, *, proration: bool) -> dict[str, Any]:  # fmt: skip
        """An invoice line in the shape of docs.stripe.com/api/invoice-line-item/object."""
        price = item["price"]
        return {"id": _id("il"), "object": "line_item", "amount": amount,
                "currency": price["currency"], "description": words, "discount_amounts": [],
                "discountable": not proration, "discounts": [], "invoice": None,
                "livemode": False, "metadata": {},
                "parent": {"type": "subscription_item_details", "invoice_item_details": None,
                           "subscription_item_details": {
                               "invoice_item": None, "proration": proration,
                               "proration_details": {"credited_items": None},
                               "subscription": sub["id"], "subscription_item": item["id"]}},
                "period": {"start": _ts(start), "end": _ts(end)},
                "pricing": {"type": "price_details", "unit_amount_decimal": str(amount),
                            "price_details": {"price": price["id"],
                                              "product": price["product"]}},
                "quantity": item["quantity"], "subtotal": amount, "taxes": []}  # fmt: skip

    def _invoice(
        self, sub: dict[str, Any], reason: str, lines: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A draft invoice in the shape of docs.stripe.com/api/invoices/object: what the
        customer owes less their credit balance (a negative total goes to that balance,
        docs.stripe.com/billing/customer/balance)."""
        now = self._now()
        customer = self.customers[sub["customer"]]
        invoice_id = _id("in")
        total = sum(line["amount"] for line in lines)
        balance = customer["balance"]
        due = max(total + balance, 0)
        for line in lines:
            line["invoice"] = invoice_id
        invoice = {"id": invoice_id, "object": "invoice", "amount_due": due,
                   "amount_overpaid": 0, "amount_paid": 0, "amount_remaining": due,
                   "attempt_count": 0, "attempted": False, "auto_advance": True,
                   "automatically_finalizes_at": _ts(now + FINALIZES_AFTER),
                   "billing_reason": reason, "collection_method": "charge_automatically",
                   "created": _ts(now), "currency": sub["currency"], "customer": customer["id"],
                   "customer_email": customer["email"], "customer_name": customer["name"],
                   "default_payment_method": None, "description": None, "discounts": [],
                   "due_date": None, "ending_balance": None, "hosted_invoice_url": None,
                   "invoice_pdf": None, "lines": _listed(f"/v1/invoices/{invoice_id}/lines",
                                                         lines),
                   "livemode": False, "metadata": {}, "next_payment_attempt": None,
                   "number": None,
                   "parent": {"type": "subscription_details", "quote_details": None,
                              "subscription_details": {"metadata": dict(sub["metadata"]),
                                                       "subscription": sub["id"]}},
                   "payments": _listed(f"/v1/invoice_payments?invoice={invoice_id}", []),
                   # the lines carry the periods billed; the invoice's own period is
                   # the usage period gone by, none here (no metered prices)
                   "period_end": _ts(now), "period_start": _ts(now),
                   "starting_balance": balance, "status": "draft",
                   "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None,
                                          "paid_at": None, "voided_at": None},
                   "subtotal": total, "total": total, "test_clock": None}  # fmt: skip
        customer["balance"] = min(total + balance, 0)
        self.invoices[invoice_id] = invoice
        sub["latest_invoice"] = invoice_id
        return invoice

    async def _finalize(self, invoice: dict[str, Any], *, on_session: bool = False) -> None:
        """Draft → open, numbered (invoice.finalized), then charged at once."""
        self._finalizes.pop(invoice["id"], None)
        customer = self.customers[invoice["customer"]]
        invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
        customer["next_invoice_sequence"] += 1
        invoice["status"] = "open"
        invoice["ending_balance"] = customer["balance"]
        invoice["status_transitions"]["finalized_at"] = _ts(self._now())
        invoice["hosted_invoice_url"] = f"https://invoice.stripe.test/i/{invoice['id']}"
        self._event("invoice.finalized", invoice)
        await self._attempt(invoice, on_session=on_session)

    async def _attempt(self, invoice: dict[str, Any], *, on_session: bool = False) -> None:
        """docs.stripe.com/billing/subscriptions/overview#payment-status: paid → invoice.paid
        (and invoice.payment_succeeded); declined → invoice.payment_failed and the
        subscription `past_due`; authentication needed → invoice.payment_action_required too
        (docs.stripe.com/billing/subscriptions/webhooks#events). An invoice with nothing due
        is paid without a charge."""
        sub = self.subscriptions[invoice["parent"]["subscription_details"]["subscription"]]
        card = self.cards.get(invoice["customer"])
        outcome = "succeeds" if invoice["amount_due"] == 0 else CARDS.get(card or "", "none")
        if on_session and outcome == "requires_action":
            outcome = "succeeds"  # the fan authenticates on the page
        invoice["attempted"] = invoice["amount_due"] > 0
        invoice["attempt_count"] += 1 if invoice["amount_due"] > 0 else 0
        if outcome == "succeeds":
            await self._paid(invoice, sub)
            return
        now = self._now()
        dunning = self._dunning.setdefault(invoice["id"], _Dunning(first_failed=now))
        retry = None
        if card is not None and dunning.retries < RETRIES:
            dunning.retries += 1
            retry = dunning.first_failed + RETRY_WINDOW * dunning.retries / RETRIES
        invoice["next_payment_attempt"] = _ts(retry) if retry else None
        self._event("invoice.payment_failed", invoice)
        if outcome == "requires_action":
            self._event("invoice.payment_action_required", invoice)
        if sub["status"] in ("active", "trialing"):
            self._status(sub, "past_due")
        if retry is None and card is not None:
            self._exhausted(sub)

    async def _paid(self, invoice: dict[str, Any], sub: dict[str, Any]) -> None:
        now = self._now()
        amount = invoice["amount_due"]
        if amount:
            intent = await self.peer._pay_amount(amount, invoice["currency"])
            invoice["payments"]["data"].append(
                {"id": _id("inpay"), "object": "invoice_payment", "amount_paid": amount,
                 "amount_requested": amount, "created": _ts(now), "currency": invoice["currency"],
                 "invoice": invoice["id"], "is_default": True, "livemode": False,
                 "payment": {"type": "payment_intent", "payment_intent": intent},
                 "status": "paid",
                 "status_transitions": {"canceled_at": None, "paid_at": _ts(now)}}
            )  # fmt: skip
            invoice["payments"]["total_count"] = len(invoice["payments"]["data"])
        invoice |= {"amount_paid": amount, "amount_remaining": 0, "status": "paid",
                    "next_payment_attempt": None}  # fmt: skip
        invoice["status_transitions"]["paid_at"] = _ts(now)
        self._dunning.pop(invoice["id"], None)
        self._event("invoice.paid", invoice)
        self._event("invoice.payment_succeeded", invoice)
        if sub["status"] in ("past_due", "unpaid"):
            self._status(sub, "active")

    def _exhausted(self, sub: dict[str, Any]) -> None:
        """Every retry failed: Stripe does as the account's settings say (see RETRIES)."""
        if self.after_retries == "cancel":
            self._end(sub, "payment_failed")
        elif self.after_retries == "unpaid":
            self._status(sub, "unpaid")

    def _status(
        self, sub: dict[str, Any], status: str, request: dict[str, str | None] | None = None
    ) -> None:
        previous = {"status": sub["status"]}
        sub["status"] = status
        self._event("customer.subscription.updated", sub, request, previous)

    def _end(
        self, sub: dict[str, Any], reason: str | None, request: dict[str, str | None] | None = None
    ) -> None:
        """docs.stripe.com/billing/subscriptions/cancel: `canceled`, ended now, and
        customer.subscription.deleted; its open invoices are no longer retried."""
        now = _ts(self._now())
        sub |= {"status": "canceled", "ended_at": now, "canceled_at": sub["canceled_at"] or now}
        sub["cancellation_details"]["reason"] = reason
        for invoice in self.invoices.values():
            if invoice["parent"]["subscription_details"]["subscription"] == sub["id"]:
                invoice["next_payment_attempt"] = None
                self._dunning.pop(invoice["id"], None)
                self._finalizes.pop(invoice["id"], None)
        self._event("customer.subscription.deleted", sub, request)

    # --- the API on subscriptions ----------------------------------------------------------

    def _subscription(self, request: web.Request) -> dict[str, Any]:
        return self._lookup(self.subscriptions, "subscription", request.match_info["id"])

    async def _update(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        """docs.stripe.com/api/subscriptions/update: cancel_at_period_end, pause_collection,
        items (a price change, prorated as `proration_behavior` says), metadata."""
        sub = self._subscription(request)
        if sub["status"] in ("canceled", "incomplete_expired") and set(params) - {
            "metadata", "cancellation_details", "expand",
        }:  # fmt: skip
            raise Refused(CANCELED_UPDATE)
        behavior = _choice(
            params.get("proration_behavior", "create_prorations"), PRORATIONS,
            "proration_behavior",
        )  # fmt: skip
        caused_by = self._caused_by(request)
        before = copy.deepcopy(sub)
        invoice_now: list[dict[str, Any]] = []
        if "cancel_at_period_end" in params:
            # docs.stripe.com/billing/subscriptions/cancel#cancel-at-end-of-cycle
            at_end = _truthy(params["cancel_at_period_end"])
            sub["cancel_at_period_end"] = at_end
            sub["cancel_at"] = _ts(self._period(sub)[1]) if at_end else None
            sub["canceled_at"] = _ts(self._now()) if at_end else None
        if "pause_collection" in params:
            # docs.stripe.com/billing/subscriptions/pause-payment: collection paused, the
            # status unchanged; an empty value resumes collection
            pause = params["pause_collection"]
            if pause in ("", {}):
                sub["pause_collection"] = None
            else:
                kind = _choice(pause.get("behavior"), PAUSE_BEHAVIORS,
                               "pause_collection[behavior]")  # fmt: skip
                resumes = pause.get("resumes_at")
                sub["pause_collection"] = {
                    "behavior": kind,
                    "resumes_at": _integer(resumes, "pause_collection[resumes_at]")
                    if resumes else None,
                }  # fmt: skip
        if "items" in params:
            invoice_now = self._change_items(sub, params["items"], behavior)
        if "metadata" in params:
            metadata = params["metadata"]
            if metadata == "":
                sub["metadata"] = {}
            else:  # "Individual keys can be unset by posting an empty value to them"
                sub["metadata"] = {k: v for k, v in {**sub["metadata"], **metadata}.items() if v}
        previous = {k: before[k] for k in sub if sub[k] != before[k]}
        if previous:
            self._event("customer.subscription.updated", sub, caused_by, previous)
        if invoice_now:
            invoice = self._invoice(sub, "subscription_update", invoice_now)
            self._event("invoice.created", invoice)
            await self._finalize(invoice)
        return sub

    def _change_items(self, sub: dict[str, Any], asked: Any, behavior: str) -> list[dict[str, Any]]:
        """A price change (docs.stripe.com/billing/subscriptions/change-price). Prorations
        (docs.stripe.com/billing/subscriptions/prorations) credit the old price's unused
        time and charge the new one's for what is left of the period, to the second:
        `create_prorations` keeps them for the next invoice, `always_invoice` bills them at
        once, `none` drops them. A price on another interval restarts the billing cycle now
        and is billed at once."""
        if not isinstance(asked, list):
            raise Refused("Invalid array", "items")
        now = self._now()
        start, end = self._period(sub)
        timeline = self._timelines[sub["id"]]
        lines: list[dict[str, Any]] = []
        restart = False
        for n, change in enumerate(asked):
            at = f"items[{n}]"
            if change.get("id"):
                items = {item["id"]: item for item in sub["items"]["data"]}
                item = self._referenced(items, "subscription_item", change["id"], f"{at}[id]")
            else:
                item = self._item(sub["id"], {}, 1)
                sub["items"]["data"].append(item)
                sub["items"]["total_count"] += 1
            if not change.get("price"):
                raise Refused(MISSING.format(param=f"{at}[price]"), f"{at}[price]",
                              "parameter_missing")  # fmt: skip
            new = self._referenced(self.prices, "price", change["price"], f"{at}[price]")
            if new["type"] != "recurring":
                raise Refused(ONE_TIME_PRICE, f"{at}[price]")
            quantity = _integer(change.get("quantity", item["quantity"]), f"{at}[quantity]")
            old, old_quantity = item.get("price") or None, item["quantity"]
            cadence = (new["recurring"]["interval"], new["recurring"]["interval_count"])
            restart = restart or cadence != (timeline.interval, timeline.count)
            item["price"], item["quantity"] = new, quantity
            item["current_period_start"], item["current_period_end"] = _ts(start), _ts(end)
            if sub["status"] == "trialing" or behavior == "none":
                continue
            left = (end - now) / (end - start)
            if old:
                credit = -round(old["unit_amount"] * old_quantity * left)
                name = self.products[old["product"]]["name"]
                lines.append(self._line(sub, {**item, "price": old, "quantity": old_quantity},
                                        credit, f"Unused time on {name}", now, end,
                                        proration=True))  # fmt: skip
            if not restart:
                charge = round(new["unit_amount"] * quantity * left)
                name = self.products[new["product"]]["name"]
                lines.append(self._line(sub, item, charge, f"Remaining time on {name}", now,
                                        end, proration=True))  # fmt: skip
        if restart:
            first = sub["items"]["data"][0]["price"]["recurring"]
            timeline.anchor, timeline.cycle = now, 0
            timeline.interval, timeline.count = first["interval"], first["interval_count"]
            sub["billing_cycle_anchor"] = _ts(now)
            self._set_period(sub, now, shifted(now, timeline.interval, timeline.count))
            return lines + timeline.pending + self._period_lines(sub)
        if behavior == "always_invoice":
            pending, timeline.pending = timeline.pending, []
            return pending + lines
        timeline.pending.extend(lines)
        return []

    async def _cancel(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        """docs.stripe.com/api/subscriptions/cancel: canceled at once, with
        customer.subscription.deleted; one already canceled answers 404 "No such
        subscription" (Stripe's account of it in stripe/stripe-go#1887). `prorate` "will
        generate a proration invoice item that credits remaining unused time until the
        subscription period end" and `invoice_now` "will generate a final invoice that
        invoices for any un-invoiced metered usage and new/pending proration invoice items",
        both false by default; a final invoice's credit goes to the customer's balance
        (docs.stripe.com/billing/customer/balance). A DELETE's parameters come in the query
        string, as for a GET."""
        asked = params or unflatten(dict(request.query))
        prorate = _boolean(asked.get("prorate", "false"), "prorate")
        invoice_now = _boolean(asked.get("invoice_now", "false"), "invoice_now")
        sub = self._subscription(request)
        if sub["status"] in ("canceled", "incomplete_expired"):
            raise Missing("subscription", sub["id"])
        now = self._now()
        timeline = self._timelines[sub["id"]]
        if prorate and sub["status"] != "trialing":
            start, end = self._period(sub)
            left = max(end - now, timedelta(0)) / (end - start)
            for item in sub["items"]["data"]:
                price = item["price"]
                credit = -round(price["unit_amount"] * item["quantity"] * left)
                name = self.products[price["product"]]["name"]
                timeline.pending.append(self._line(sub, item, credit, f"Unused time on {name}",
                                                   now, end, proration=True))  # fmt: skip
        sub["canceled_at"] = _ts(now)
        caused_by = self._caused_by(request)
        self._end(sub, "cancellation_requested", caused_by)
        if invoice_now and timeline.pending:
            pending, timeline.pending = timeline.pending, []
            invoice = self._invoice(sub, "subscription_update", pending)
            self._event("invoice.created", invoice)
            await self._finalize(invoice)
        return sub

    async def _resume(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        """docs.stripe.com/api/subscriptions/resume: a paused subscription resumes `active`,
        its billing cycle anchored now (the default) and its period billed at once;
        customer.subscription.resumed (docs.stripe.com/billing/subscriptions/webhooks)."""
        sub = self._subscription(request)
        if sub["status"] != "paused":
            raise Refused(NOT_PAUSED)
        now = self._now()
        caused_by = self._caused_by(request)
        timeline = self._timelines[sub["id"]]
        timeline.anchor, timeline.cycle = now, 0
        sub["billing_cycle_anchor"] = _ts(now)
        self._set_period(sub, now, shifted(now, timeline.interval, timeline.count))
        previous = {"status": "paused"}
        sub["status"] = "active"
        self._event("customer.subscription.resumed", sub, caused_by)
        self._event("customer.subscription.updated", sub, caused_by, previous)
        invoice = self._invoice(sub, "subscription_cycle", self._period_lines(sub))
        self._event("invoice.created", invoice)
        await self._finalize(invoice)
        return sub

    async def _list_subscriptions(
        self, request: web.Request, params: dict[str, Any]
    ) -> dict[str, Any]:
        """docs.stripe.com/api/subscriptions/list (see LIST_LIMIT, LIST_STATUSES,
        EXPANDABLE): newest first; `starting_after` an object ID that must exist (a 400
        naming the parameter otherwise, as for any ID passed as a parameter); `customer`
        filters. A GET's parameters come in the query string."""
        asked = unflatten(dict(request.query))
        limit = _page_limit(asked)
        status = asked.get("status")
        if status is not None:
            _choice(status, LIST_STATUSES, "status")
        expand = asked.get("expand", [])
        for path in expand if isinstance(expand, list) else [expand]:
            if not path.startswith("data.") or path.removeprefix("data.") not in EXPANDABLE:
                raise Refused(NOT_EXPANDABLE.format(path=path), "expand")
        ended = ("canceled", "incomplete_expired")
        newest = [sub for sub in reversed(self.subscriptions.values())
                  if (status == "all" or (status is None and sub["status"] != "canceled")
                      or (status == "ended" and sub["status"] in ended)
                      or sub["status"] == status)
                  and asked.get("customer") in (None, sub["customer"])]  # fmt: skip
        after = asked.get("starting_after")
        if after is not None:
            self._referenced(self.subscriptions, "subscription", after, "starting_after")
            ids = [sub["id"] for sub in newest]
            newest = newest[ids.index(after) + 1 :] if after in ids else []
        page = [copy.deepcopy(sub) for sub in newest[:limit]]
        for sub in page:
            for path in expand if isinstance(expand, list) else [expand]:
                field_name = path.removeprefix("data.")
                store = self.customers if field_name == "customer" else self.invoices
                if sub[field_name] is not None:
                    sub[field_name] = copy.deepcopy(store[sub[field_name]])
        listed = _listed("/v1/subscriptions", page)
        del listed["total_count"]  # a list's total is not counted unless asked for
        return listed | {"has_more": len(newest) > limit}

    async def started_elsewhere(
        self,
        price: str,
        email: str,
        card: str = "pm_card_visa",
        *,
        trial_days: int = 0,
        metadata: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A subscription another tool started: a customer with `email` subscribed to the
        recurring `price`, with no metadata of ours unless given, its first invoice paid
        (nothing due through a trial), as Checkout leaves it (`complete`)."""
        customer = self._customer({"email": email, "name": None})
        self.set_card(customer["id"], card)
        trial_end = self._now() + timedelta(days=trial_days) if trial_days else None
        private = {"lines": [(self.prices[price], 1)], "trial_end": trial_end,
                   "missing": "create_invoice", "metadata": dict(metadata or {}),
                   "collection": "always"}  # fmt: skip
        sub = self._subscribe(customer["id"], private, card)
        invoice = self._invoice(sub, "subscription_create", self._period_lines(sub))
        self._event("invoice.created", invoice)
        await self._finalize(invoice, on_session=True)
        return sub

    async def _invoice_payments(
        self, request: web.Request, params: dict[str, Any]
    ) -> dict[str, Any]:
        """docs.stripe.com/api/invoice-payment/list: the invoices' payments, newest first,
        filtered by `invoice`, `status` and `payment` (whose `type` is required, one of
        payment_intent or payment_record, with the `payment_intent` named); `limit` as for
        every list (LIST_LIMIT). A GET's parameters come in the query string."""
        asked = unflatten(dict(request.query))
        limit = _page_limit(asked)
        payment = asked.get("payment")
        if payment is not None:
            if not isinstance(payment, dict) or "type" not in payment:
                raise Refused(MISSING.format(param="payment[type]"), "payment[type]",
                              "parameter_missing")  # fmt: skip
            _choice(payment["type"], ("payment_intent", "payment_record"), "payment[type]")
        found = [
            paid
            for invoice in reversed(self.invoices.values())
            for paid in invoice["payments"]["data"]
            if asked.get("invoice") in (None, invoice["id"])
            and asked.get("status") in (None, paid["status"])
            and (payment is None or paid["payment"].get(payment["type"])
                 == payment.get(payment["type"]))
        ]  # fmt: skip
        listed = _listed("/v1/invoice_payments", [copy.deepcopy(p) for p in found[:limit]])
        del listed["total_count"]
        return listed | {"has_more": len(found) > limit}

    # --- the customer portal ---------------------------------------------------------------

    async def _portal(self, request: web.Request, params: dict[str, Any]) -> dict[str, Any]:
        """docs.stripe.com/api/customer_portal/sessions/create: `customer` is required and
        must exist; the shape of docs.stripe.com/api/customer_portal/sessions/object."""
        if not params.get("customer"):
            raise Refused(MISSING.format(param="customer"), "customer", "parameter_missing")
        customer = self._referenced(self.customers, "customer", params["customer"], "customer")
        if not self.portal_saved:
            raise Refused(PORTAL_UNSAVED)
        session_id = f"bps_{secrets.token_hex(12)}"
        session = {"id": session_id, "object": "billing_portal.session",
                   "configuration": "bpc_peer_default", "created": _ts(self._now()),
                   "customer": customer["id"], "flow": None, "livemode": False, "locale": None,
                   "on_behalf_of": None, "return_url": params.get("return_url"),
                   "url": f"https://billing.stripe.test/p/session/test_{session_id}"}  # fmt: skip
        self.portal_sessions[session_id] = session
        return session

    # --- time, as a test clock moves it ----------------------------------------------------

    async def advance(self, to: datetime) -> list[dict[str, Any]]:
        """Move the peer's clock (a `ManualClock`) to `to`, doing at each moment on the way
        what Stripe does then; returns the events sent meanwhile, in order
        (docs.stripe.com/billing/testing/test-clocks)."""
        if to < self._now():
            raise ValueError("a test clock only moves forward")
        start = len(self.peer.events)
        while due := self._next(to):  # what falls due at one moment, in Stripe's order
            self.peer.clock.set(due[0][0])  # type: ignore[attr-defined]
            self.peer._lapse()
            for _, act in due:
                await act()
        self.peer.clock.set(to)  # type: ignore[attr-defined]
        self.peer._lapse()
        return self.peer.events[start:]

    def _next(self, until: datetime) -> list[tuple[datetime, Callable[[], Awaitable[None]]]]:
        """Everything falling due at the earliest moment up to `until`: subscriptions' own
        doings do not touch one another's, so one moment's are done together (a month's
        renewals of thousands of members, bench/renewals.py, in one pass)."""
        due: list[tuple[datetime, int, Callable[[], Awaitable[None]]]] = []

        def at(moment: datetime, act: Callable[[], Awaitable[None]]) -> None:
            if moment <= until:
                due.append((moment, len(due), act))

        for sub_id, sub in self.subscriptions.items():
            timeline = self._timelines[sub_id]
            if sub["status"] == "trialing" and not timeline.warned:
                at(_at(sub["trial_end"]) - TRIAL_WARNING, self._warn_trial(sub))
            if sub["status"] in ("trialing", "active", "past_due", "unpaid"):
                at(self._period(sub)[1], self._renew(sub))
            pause = sub["pause_collection"]
            if pause and pause["resumes_at"]:
                at(_at(pause["resumes_at"]), self._unpause(sub))
        for invoice_id, moment in self._finalizes.items():
            at(moment, self._finalizing(self.invoices[invoice_id]))
        for invoice in self.invoices.values():
            if invoice["status"] == "open" and invoice["next_payment_attempt"]:
                at(_at(invoice["next_payment_attempt"]), self._retrying(invoice))
        if not due:
            return []
        first = min(moment for moment, _, _ in due)
        return [(moment, act) for moment, _, act in sorted(due) if moment == first]

    def _warn_trial(self, sub: dict[str, Any]) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            self._timelines[sub["id"]].warned = True
            self._event("customer.subscription.trial_will_end", sub)

        return act

    def _finalizing(self, invoice: dict[str, Any]) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            await self._finalize(invoice)

        return act

    def _retrying(self, invoice: dict[str, Any]) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            await self._attempt(invoice)

        return act

    def _unpause(self, sub: dict[str, Any]) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            previous = {"pause_collection": sub["pause_collection"]}
            sub["pause_collection"] = None
            self._event("customer.subscription.updated", sub, None, previous)

        return act

    def _renew(self, sub: dict[str, Any]) -> Callable[[], Awaitable[None]]:
        """A period's end: cancel_at_period_end ends the subscription
        (docs.stripe.com/billing/subscriptions/cancel#cancel-at-end-of-cycle); a trial
        without a payment method does as trial_settings say
        (docs.stripe.com/billing/subscriptions/trials/free-trials#create-free-trials-without-
        payment: cancel, pause, or invoice anyway); otherwise the next period starts, the
        subscription `active` after a trial (customer.subscription.updated), and its invoice
        is drafted (invoice.created), to be finalized and charged an hour later. With
        collection paused the invoice is kept as a draft, marked uncollectible or voided
        (docs.stripe.com/billing/subscriptions/pause-payment)."""

        async def act() -> None:
            if sub["cancel_at_period_end"]:
                self._end(sub, "cancellation_requested")
                return
            if sub["status"] == "trialing" and self.cards.get(sub["customer"]) is None:
                missing = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
                if missing == "cancel":
                    self._end(sub, None)
                    return
                if missing == "pause":
                    self._status(sub, "paused")
                    self._event("customer.subscription.paused", sub)
                    return
            timeline = self._timelines[sub["id"]]
            before = copy.deepcopy(sub)
            timeline.cycle += 1
            start = shifted(timeline.anchor, timeline.interval, timeline.count * timeline.cycle)
            end = shifted(timeline.anchor, timeline.interval,
                          timeline.count * (timeline.cycle + 1))  # fmt: skip
            if sub["status"] == "trialing":
                sub["status"] = "active"
            self._set_period(sub, start, end)
            lines = timeline.pending + self._period_lines(sub)
            timeline.pending = []
            invoice = self._invoice(sub, "subscription_cycle", lines)
            previous = {k: before[k] for k in sub if sub[k] != before[k]}
            self._event("customer.subscription.updated", sub, None, previous)
            self._event("invoice.created", invoice)
            pause = sub["pause_collection"]
            now = _ts(self._now())
            if pause and pause["behavior"] == "void":
                invoice |= {"status": "void", "auto_advance": False,
                            "automatically_finalizes_at": None}  # fmt: skip
                invoice["status_transitions"]["voided_at"] = now
                self._event("invoice.voided", invoice)
            elif pause and pause["behavior"] == "mark_uncollectible":
                invoice |= {"status": "uncollectible", "auto_advance": False,
                            "automatically_finalizes_at": None}  # fmt: skip
                invoice["status_transitions"]["marked_uncollectible_at"] = now
                self._event("invoice.marked_uncollectible", invoice)
            elif pause:
                invoice |= {"auto_advance": False, "automatically_finalizes_at": None}
            else:
                self._finalizes[invoice["id"]] = self._now() + FINALIZES_AFTER

        return act
