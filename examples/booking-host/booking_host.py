"""A small booking application that keeps its customers in clientcard.

This is the integration a booking-software vendor copies: the application owns
appointments, prices and promo codes (here in SQLite); clientcard owns the
customers, their activity and their status.  The application

* opens the workspace once, passing its event handlers:
  ``Workspace.open(path, plugins=[ClientcardEvents(app)])``;
* records bookings and payments as they happen, under its own ids
  (``external_id``), and changes them later by those ids;
* runs :meth:`BookingApp.daily` once a day: ``classify()`` gives every customer
  their status as of that day, ``actions()`` what needs attention;
* reacts to status changes in ``clientcard_status_changed``: a customer who
  churns gets a win-back promo code by e-mail (what feature source 000, Sfera's
  CRM FAQ, says the classes are for), a customer who becomes loyal a thank-you;
* keeps its own references right when customers are merged or deleted.

Run ``python booking_host.py DIR`` for a demonstration in a new directory.
"""

from __future__ import annotations

import secrets
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from clientcard import Action, ClientcardError, Customer, Workspace, hookimpl

#: the application's own tables; ``customer_id`` is always clientcard's customer id
SCHEMA = """
CREATE TABLE IF NOT EXISTS appointments (
    id          TEXT PRIMARY KEY,      -- the application's id: clientcard's external_id
    customer_id INTEGER NOT NULL,
    starts      TEXT NOT NULL,         -- local date and time, e.g. 2025-06-01T10:30
    service     TEXT NOT NULL,
    price       TEXT NOT NULL,         -- the list price; the charged price goes to clientcard
    state       TEXT NOT NULL DEFAULT 'upcoming'
);
CREATE TABLE IF NOT EXISTS promo_codes (
    code        TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    percent     INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    issued_on   TEXT NOT NULL,
    redeemed_by TEXT                   -- the appointment it paid for
);
CREATE TABLE IF NOT EXISTS outbox (     -- e-mails a real application would send
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    to_address  TEXT,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL
);
"""

WIN_BACK_PERCENT = 20


class BookingError(Exception):
    """Something the front desk did that cannot be done (an unknown code ...)."""


@dataclass
class DailyReport:
    """What :meth:`BookingApp.daily` found: statuses, what changed, what needs doing."""

    as_of: date
    counts: dict[str, int]
    changes: list[tuple[int, str | None, str]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


class ClientcardEvents:
    """The application's clientcard event hooks.

    Passed to ``Workspace.open(..., plugins=[ClientcardEvents(app)])``: its
    ``@hookimpl`` methods are called after each change is on disk.
    """

    def __init__(self, app: BookingApp) -> None:
        self.app = app

    @hookimpl
    def clientcard_status_changed(
        self,
        workspace: Workspace,
        customer: Customer,
        dimension: str,
        old: str | None,
        new: str,
        reason: str,
        manual: bool,
    ) -> None:
        if dimension != "status" or self.app.importing:
            return  # a history being loaded is not news
        if new == "churn":
            self.app.win_back(customer, reason)
        elif new == "loyal":
            self.app.thank(customer)

    @hookimpl
    def clientcard_customers_merged(
        self, workspace: Workspace, survivor: Customer, merged: list[int], merge_id: int
    ) -> None:
        self.app.repoint(merged, survivor.id)

    @hookimpl
    def clientcard_customer_deleted(self, workspace: Workspace, customer: Customer) -> None:
        self.app.forget(customer.id)


class BookingApp:
    """The booking application's back office.

    ``data_dir`` holds the application's database and, in ``customers/``, the
    clientcard workspace (created on first use with the given settings).
    """

    def __init__(
        self,
        data_dir: str | Path,
        *,
        settings: Mapping[str, Any] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.data_dir / "bookings.sqlite3")
        self.db.executescript(SCHEMA)
        #: while True, status changes are history being loaded: no e-mails, no codes
        self.importing = False
        where = self.data_dir / "customers"
        if not (where / "clientcard.toml").exists():
            defaults = {
                "workspace.region": "IT",
                "workspace.currency": "EUR",
                "workspace.timezone": "Europe/Rome",
            }
            Workspace.init(where, settings={**defaults, **(settings or {})}).close()
        self.customers = Workspace.open(where, plugins=[ClientcardEvents(self)])

    def close(self) -> None:
        self.customers.close()
        self.db.close()

    def __enter__(self) -> BookingApp:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- what the front desk and the booking page do ------------------------------------

    def sign_up(self, name: str, *, email: str | None = None, phone: str | None = None) -> int:
        """A new customer: their clientcard id, which the application keeps."""
        return self.customers.add_customer(name, email=email, phone=phone).id

    def book(
        self, appointment_id: str, customer_id: int, starts: str, service: str, price: str
    ) -> None:
        """A customer books: the booking goes to clientcard under the appointment's id."""
        self.customers.record_booking(
            customer_id,
            starts,
            status="upcoming",
            service=service,
            amount=price,
            external_id=appointment_id,
        )
        with self.db:
            self.db.execute(
                "INSERT INTO appointments (id, customer_id, starts, service, price) "
                "VALUES (?, ?, ?, ?, ?)",
                (appointment_id, customer_id, starts, service, price),
            )

    def check_out(
        self, appointment_id: str, *, pay: bool = True, code: str | None = None
    ) -> Decimal:
        """The appointment took place: complete it, and take the payment (less a promo code).

        Returns the price charged.  Without ``pay`` the booking stays to be
        charged (``clientcard actions`` lists it).
        """
        customer_id, price = self._appointment(appointment_id)
        charged = Decimal(price)
        if code is not None:
            charged = self._redeem(code, customer_id, appointment_id, charged)
        # one clientcard write for both: the booking completed and its payment
        with self.customers.batch():
            self.customers.update_activity(
                "booking",
                external_id=appointment_id,
                values={"status": "completed", "amount": str(charged)},
            )
            if pay:
                self.customers.record_payment(
                    customer_id,
                    str(charged),
                    external_id=f"{appointment_id}/payment",
                    reference=code,
                )
        with self.db:
            self.db.execute(
                "UPDATE appointments SET state = 'completed' WHERE id = ?", (appointment_id,)
            )
        return charged

    def cancel(self, appointment_id: str) -> None:
        self._set_state(appointment_id, "cancelled")

    def no_show(self, appointment_id: str) -> None:
        self._set_state(appointment_id, "no_show")

    def import_history(self, visits: Iterable[tuple[int, str, str]]) -> int:
        """Load past visits (customer id, date, service) from the previous system.

        One clientcard write; the status changes it causes are history, not
        news, so no e-mail goes out for them.
        """
        rows = [
            {"customer_id": customer_id, "date": day, "status": "completed", "service": service}
            for customer_id, day, service in visits
        ]
        with self.quietly():
            return len(self.customers.record_many("booking", rows))

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Changes made inside send no e-mails and issue no codes."""
        self.importing = True
        try:
            yield
        finally:
            self.importing = False

    # -- once a day ----------------------------------------------------------------------

    def daily(self, as_of: date | None = None) -> DailyReport:
        """Give every customer their status as of ``as_of`` (default today); list actions.

        The status changes call :class:`ClientcardEvents`, which issues codes
        and thanks before this returns.
        """
        report = self.customers.classify(as_of=as_of)
        return DailyReport(
            as_of=report.as_of,
            counts=report.counts.get("status", {}),
            changes=[(t.customer_id, t.old, t.new) for t in report.transitions],
            actions=self.customers.actions(as_of=report.as_of),
        )

    # -- reactions to clientcard's events ----------------------------------------------

    def win_back(self, customer: Customer, reason: str) -> str:
        """A promo code for a churned customer, e-mailed and noted on their card."""
        code = f"BACK-{secrets.token_hex(3).upper()}"
        today = datetime.now(UTC).date().isoformat()
        with self.db:
            self.db.execute(
                "INSERT INTO promo_codes (code, customer_id, percent, reason, issued_on) "
                "VALUES (?, ?, ?, ?, ?)",
                (code, customer.id, WIN_BACK_PERCENT, reason, today),
            )
        self._mail(
            customer,
            "We miss you",
            f"Dear {customer.name}, it has been a while. Use {code} for "
            f"{WIN_BACK_PERCENT}% off your next visit.",
        )
        # a note is not activity that classifies: writing it changes no status
        self.customers.add_note(
            customer.id, f"Win-back code {code} sent ({reason})", author="booking app"
        )
        return code

    def thank(self, customer: Customer) -> None:
        self._mail(customer, "Thank you", f"Dear {customer.name}, thank you for coming so often!")

    def repoint(self, merged: list[int], survivor: int) -> None:
        """Customers were merged: the application's references follow the survivor."""
        marks = ", ".join("?" for _ in merged)
        with self.db:
            for table in ("appointments", "promo_codes", "outbox"):
                self.db.execute(
                    f"UPDATE {table} SET customer_id = ? WHERE customer_id IN ({marks})",
                    (survivor, *merged),
                )

    def forget(self, customer_id: int) -> None:
        """A customer was deleted: drop what the application holds about them."""
        with self.db:
            for table in ("appointments", "promo_codes", "outbox"):
                self.db.execute(f"DELETE FROM {table} WHERE customer_id = ?", (customer_id,))

    # -- reading the application's own data ----------------------------------------------

    def promo_codes(self, customer_id: int | None = None) -> list[dict[str, Any]]:
        return self._rows("promo_codes", customer_id)

    def outbox(self, customer_id: int | None = None) -> list[dict[str, Any]]:
        return self._rows("outbox", customer_id)

    def appointments(self, customer_id: int | None = None) -> list[dict[str, Any]]:
        return self._rows("appointments", customer_id)

    # -- helpers -------------------------------------------------------------------------

    def _rows(self, table: str, customer_id: int | None) -> list[dict[str, Any]]:
        self.db.row_factory = sqlite3.Row
        try:
            query = f"SELECT * FROM {table}"
            args: tuple[Any, ...] = ()
            if customer_id is not None:
                query, args = f"{query} WHERE customer_id = ?", (customer_id,)
            return [dict(row) for row in self.db.execute(query, args)]
        finally:
            self.db.row_factory = None

    def _appointment(self, appointment_id: str) -> tuple[int, str]:
        found = self.db.execute(
            "SELECT customer_id, price FROM appointments WHERE id = ?", (appointment_id,)
        ).fetchone()
        if found is None:
            raise BookingError(f"no appointment {appointment_id!r}")
        return int(found[0]), str(found[1])

    def _set_state(self, appointment_id: str, state: str) -> None:
        self._appointment(appointment_id)
        self.customers.update_activity(
            "booking", external_id=appointment_id, values={"status": state}
        )
        with self.db:
            self.db.execute(
                "UPDATE appointments SET state = ? WHERE id = ?", (state, appointment_id)
            )

    def _redeem(self, code: str, customer_id: int, appointment_id: str, price: Decimal) -> Decimal:
        found = self.db.execute(
            "SELECT customer_id, percent, redeemed_by FROM promo_codes WHERE code = ?", (code,)
        ).fetchone()
        if found is None or found[0] != customer_id:
            raise BookingError(f"promo code {code!r} is not this customer's")
        if found[2] is not None:
            raise BookingError(f"promo code {code!r} was already used for {found[2]}")
        with self.db:
            self.db.execute(
                "UPDATE promo_codes SET redeemed_by = ? WHERE code = ?", (appointment_id, code)
            )
        percent = int(found[1])
        return (price * (100 - percent) / 100).quantize(Decimal("0.01"))

    def _mail(self, customer: Customer, subject: str, body: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO outbox (customer_id, to_address, subject, body) VALUES (?, ?, ?, ?)",
                (customer.id, customer.email, subject, body),
            )


def demo(data_dir: Path, today: date | None = None) -> list[str]:
    """Six months of a small salon's life, then a week of daily runs; what happened."""
    today = today or datetime.now(UTC).date()

    def ago(days: int) -> str:
        return (today - timedelta(days=days)).isoformat()

    lines: list[str] = []
    with BookingApp(data_dir, settings={"workspace.timezone": "UTC"}) as app:
        giulia = app.sign_up("Giulia Bianchi", email="giulia@example.com")
        marco = app.sign_up("Marco Rossi", email="marco@example.com", phone="333 123 4567")
        app.import_history(
            [(giulia, ago(d), "cut") for d in (150, 120, 90)] + [(marco, ago(176), "colour")]
        )
        ana = app.sign_up("Ana Verdi", email="ana@example.com")
        app.book("A-1", ana, f"{today.isoformat()}T10:00", "cut", "35.00")
        app.check_out("A-1", pay=False)
        for day in range(8):
            report = app.daily(today + timedelta(days=day))
            for customer_id, old, new in report.changes:
                name = app.customers.get_customer(customer_id).name
                lines.append(f"{report.as_of}: {name} {old} -> {new}")
        for mail in app.outbox():
            lines.append(f"mail to {mail['to_address']}: {mail['subject']}: {mail['body']}")
        for action in app.daily(today).actions:
            lines.append(f"to do: customer {action.customer_id}: {action.summary}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python booking_host.py NEW_DIRECTORY", file=sys.stderr)
        return 2
    try:
        for line in demo(Path(argv[0])):
            print(line)
    except ClientcardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
