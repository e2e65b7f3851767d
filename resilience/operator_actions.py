"""Operators in the chaos run (`make chaos`, resilience/chaos.py): while services are killed and
paused, an operator keeps reassigning, unassigning and cancelling live orders, each with a reason
that names the action, as a dispatcher in a hurry would (ARCHITECTURE 4.6).

Afterwards, through the public API only, every action must be applied and audited, or refused with
a clear error, never half done:

  * an action answered 2xx is in the audit log exactly once, `applied`;
  * an action answered 4xx carries the contract's error (a code), and is in the log at most once,
    `refused` with that code (a refusal decided before anything was written, such as a 404 for an
    order id that is not one, may be absent);
  * an action whose answer was lost (a timeout, a 502/503/504, the connection) is "unknown": the
    platform finishes it by itself, so once the resume and settle loops have run it is in the log
    at most once and `applied` or `refused`, never still `pending`;
  * never a 500;
  * and the dispatch invariants the chaos run checks anyway (common/testing/invariants.py) hold with
    the operators' moves in the mix: no order with two couriers, no courier named by two orders.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import pyotp
import requests

PASSWORD = "correct horse battery"
SPARES = 2  # couriers on duty out of dispatch's reach: only an operator gives them orders
FAR_AWAY = {"lat": 3.0, "lng": 3.0}  # some 300 km from the chaos city (resilience/chaos.py's ADDRESS)
SETTLE_S = 90  # the delivery service resumes within OPERATOR_ACTION_RESUME_S, the order service settles within OPERATOR_ACTION_SETTLE_S
ACTIONS = (("assign", 0.55), ("unassign", 0.3), ("cancel", 0.15))


@dataclass
class Attempt:
    marker: str
    action: str
    order_id: str
    courier_id: str | None
    status: int | None = None  # None: no answer (connection, timeout)
    code: str | None = None


@dataclass
class OperatorLoad:
    """One operator acting on the load's orders until stopped (`start`), then `verify`."""

    client: object  # chaos.Client
    stack: object  # devstack.Stack
    couriers: list[str] = field(default_factory=list)  # courier ids to give orders to
    pause_s: float = 0.3
    attempts: list[Attempt] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    def setup(self) -> None:
        self.email = f"chaos-ops-{uuid.uuid4().hex[:8]}@example.com"
        printed = self.stack.create_operator(self.email, PASSWORD)
        uri = next(line for line in printed.splitlines() if line.startswith("otpauth://"))
        self.totp = pyotp.TOTP(parse_qs(urlparse(uri).query)["secret"][0])
        self.stop = threading.Event()
        self.sign_in()
        self.spares = []
        for _ in range(SPARES):
            spare = self.client.user("couriers")
            self.client.call("PATCH", "/couriers/me", spare["access"], json={"available": True})
            self.client.call("POST", "/couriers/me/location", spare["access"], json=FAR_AWAY)
            spare["id"] = self.client.call("GET", "/couriers/me", spare["access"]).json()["id"]
            self.couriers.append(spare["id"])
            self.spares.append(spare)

    def sign_in(self) -> bool:
        try:
            challenge = self.client.call("POST", "/operators/login", json={"email": self.email, "password": PASSWORD})
            if challenge.status_code != 200:
                return False
            tokens = self.client.call(
                "POST",
                "/operators/login/mfa",
                json={"mfa_token": challenge.json()["mfa_token"], "code": self.totp.now()},
            )
        except requests.RequestException:
            return False
        if tokens.status_code != 200:
            return False
        self.token = tokens.json()["access"]
        self.operator_id = _subject(self.token)
        return True

    def _live_orders(self) -> list[dict]:
        response = self.client.call("GET", "/operator/orders?page_size=50", self.token)
        if response.status_code == 401:
            self.sign_in()
        return response.json().get("results", []) if response.status_code == 200 else []

    def _free_couriers(self) -> list[str]:
        response = self.client.call("GET", "/operator/couriers?page_size=100", self.token)
        rows = response.json().get("results", []) if response.status_code == 200 else []
        return [c["id"] for c in rows if c["id"] in self.couriers and c["available"] and not c["deliveries"]]

    def act_once(self) -> None:
        movable = [o for o in self._live_orders() if o["status"] in ("placed", "accepted", "preparing", "ready")]
        action = random.choices([a for a, _ in ACTIONS], weights=[w for _, w in ACTIONS])[0]
        if action == "unassign" and random.random() < 0.9:
            movable = [o for o in movable if o.get("courier_id")]  # now and then one without: a refusal
        if not movable:
            return
        order = random.choice(movable)
        courier_id = None
        body = {}
        if action == "assign":
            # Mostly a free courier, as a dispatcher would pick; now and then any (a busy one: a refusal).
            free = self._free_couriers() if random.random() < 0.8 else []
            others = [c for c in (free or self.couriers) if c != order.get("courier_id")]
            if not others:
                return
            courier_id = random.choice(others)
            body["courier_id"] = courier_id
        attempt = Attempt(marker=uuid.uuid4().hex, action=action, order_id=order["id"], courier_id=courier_id)
        body["reason"] = f"chaos {attempt.marker}"
        self.attempts.append(attempt)
        try:
            response = self.client.call("POST", f"/operator/orders/{order['id']}/{action}", self.token, json=body)
        except requests.RequestException:
            self.errors[f"{action}: no answer"] += 1
            return
        attempt.status = response.status_code
        if response.status_code >= 400:
            try:
                attempt.code = response.json()["error"]["code"]
            except (ValueError, KeyError, TypeError):
                attempt.code = None
            self.errors[f"{action}: {response.status_code} {attempt.code}"] += 1
        if response.status_code == 401:
            self.sign_in()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.act_once()
            except requests.RequestException:
                self.errors["list: no answer"] += 1
            time.sleep(self.pause_s)

    def run_spares(self) -> None:
        """The spare couriers deliver what they are given, and keep their position fresh."""
        last_report = 0.0
        while not self.stop.is_set():
            try:
                report = time.monotonic() - last_report > 5
                for spare in self.spares:
                    if report:
                        self.client.call("POST", "/couriers/me/location", spare["access"], json=FAR_AWAY)
                    for status, next_status in (("assigned", "picked_up"), ("picked_up", "delivered")):
                        page = self.client.call("GET", f"/deliveries?status={status}", spare["access"])
                        if page.status_code == 401:
                            self.client.relogin(spare)
                        for delivery in page.json().get("results", []) if page.status_code == 200 else []:
                            self.client.call(
                                "POST",
                                f"/deliveries/{delivery['id']}/status",
                                spare["access"],
                                json={"status": next_status},
                            )
                last_report = time.monotonic() if report else last_report
            except requests.RequestException:
                self.errors["spare courier: no answer"] += 1
            time.sleep(0.3)

    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.run, daemon=True),
            threading.Thread(target=self.run_spares, daemon=True),
        ]
        for thread in threads:
            thread.start()
        return threads

    # --- afterwards -------------------------------------------------------------------------------

    def _audit(self) -> dict[str, list[dict]]:
        """The operator's audit entries by the marker in their reason."""
        entries: dict[str, list[dict]] = {}
        path = f"/operator/audit?operator_id={self.operator_id}&page_size=100"
        while path:
            response = self.client.call("GET", path, self.token)
            if response.status_code == 401 and self.sign_in():
                continue
            response.raise_for_status()
            page = response.json()
            for entry in page["results"]:
                entries.setdefault(entry["reason"].removeprefix("chaos "), []).append(entry)
            path = page["next"].replace(self.client.base, "") if page["next"] else None
        return entries

    def verify(self, *, settle_s: float = SETTLE_S) -> list[str]:
        """What went wrong with the operator's actions (empty when every one is applied and audited,
        or refused with a clear error), once the platform has had `settle_s` to finish what it can."""
        self.sign_in()
        deadline = time.monotonic() + settle_s
        while True:
            audit = self._audit()
            pending = [m for m, entries in audit.items() if any(e["outcome"] == "pending" for e in entries)]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(2)
        problems = [f"operator action {m} still pending after {settle_s} s" for m in pending]
        for attempt in self.attempts:
            entries = audit.get(attempt.marker, [])
            what = f"{attempt.action} {attempt.order_id} ({attempt.marker}) answered {attempt.status}"
            if len(entries) > 1:
                problems.append(f"{what}: audited {len(entries)} times")
            outcome = entries[0]["outcome"] if entries else None
            if attempt.status is not None and attempt.status >= 500 and attempt.status not in (502, 503, 504):
                problems.append(f"{what}: a server error")
            elif attempt.status is not None and 200 <= attempt.status < 300:
                if outcome != "applied":
                    problems.append(f"{what}: audited as {outcome}")
            elif attempt.status is not None and 400 <= attempt.status < 500:
                if not attempt.code:
                    problems.append(f"{what}: refused without the contract's error")
                elif outcome not in (None, "refused"):
                    problems.append(f"{what}: audited as {outcome}")
                elif entries and entries[0].get("error_code") != attempt.code:
                    problems.append(f"{what}: audited with {entries[0].get('error_code')}, answered {attempt.code}")
            elif outcome not in (None, "applied", "refused"):
                problems.append(f"{what}: audited as {outcome}")
        return problems

    def summary(self) -> str:
        answered = Counter(
            "no answer" if a.status is None else f"{a.action} {a.status}{' ' + a.code if a.code else ''}"
            for a in self.attempts
        )
        return f"{len(self.attempts)} operator actions: {dict(answered)}"


def _subject(token: str) -> str:
    import jwt

    return jwt.decode(token, options={"verify_signature": False})["sub"]
