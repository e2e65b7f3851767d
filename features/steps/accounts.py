"""Steps for accounts, sign-in, MFA and sessions."""

import os
import time
import uuid

import pyotp
from behave import given, then, when
from support.api import KIND_PATHS


def _unique(email: str) -> str:
    local, domain = email.split("@")
    return f"{local}+{uuid.uuid4().hex[:8]}@{domain}"


def _email(context, email: str) -> str:
    # The same readable email maps to one unique address per scenario.
    return context.users.setdefault(f"email:{email}", _unique(email))


@when('a {kind} registers as "{email:Q}" with a strong password')
def step_register(context, kind, email):
    context.kind = kind
    context.email = _email(context, email)
    context.last = context.api.register(kind, context.email)


@when('a {kind} registers as "{email:Q}" with the password "{password:Q}"')
def step_register_with(context, kind, email, password):
    context.last = context.api.register(kind, _email(context, email), password=password)


@given('a {kind} registered as "{email:Q}"')
def step_registered(context, kind, email):
    context.kind = kind
    context.email = _email(context, email)
    assert context.api.register(kind, context.email).status_code == 201


@then("the account is created")
def step_created(context):
    assert context.last.status_code == 201, context.last.text
    body = context.last.json()
    assert body["email"] == context.email
    assert set(body) >= {"id", "email", "name", "user_type"}


@then("the {kind} can sign in and gets a bearer token")
def step_can_sign_in(context, kind):
    tokens = context.api.login(kind, context.email)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["token_type"] == "Bearer"
    assert tokens.json()["access"] and tokens.json()["refresh"]


@when("the customer signs in with a wrong password")
def step_wrong_password(context):
    context.last = context.api.login("customer", context.email, password="not my password at all")


@then("signing in as an unknown email gets exactly the same answer")
def step_same_answer(context):
    unknown = context.api.login("customer", _unique("nobody@example.com"), password="not my password at all")
    assert unknown.status_code == context.last.status_code
    assert unknown.json() == context.last.json()


@when("someone tries {count:d} wrong passwords for that customer")
def step_many_wrong(context, count):
    for _ in range(count):
        assert context.api.login("customer", context.email, password="guess guess guess").status_code == 401


@then("the next attempt is refused with 429 and a Retry-After header")
def step_limited(context):
    response = context.api.login("customer", context.email)
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) > 0


@given("a restaurant user who turned on two-factor sign-in")
def step_mfa_user(context):
    user = context.api.new_user("restaurant user", "Chef")
    setup = context.api.ok("POST", "/restaurants/mfa/setup", user["access"])
    context.api.ok("POST", "/restaurants/mfa/confirm", user["access"], json={"code": pyotp.TOTP(setup["secret"]).now()})
    context.mfa = {"email": user["email"], "secret": setup["secret"]}


@when("the restaurant user signs in with their password")
def step_mfa_password(context):
    context.last = context.api.login("restaurant user", context.mfa["email"])


@then("they are asked for a code instead of getting tokens")
def step_asked_for_code(context):
    body = context.last.json()
    assert body["mfa_required"] is True
    assert "access" not in body
    context.mfa["token"] = body["mfa_token"]


@when("they give the code from their authenticator app")
def step_give_code(context):
    # The code of the current 30 s step was spent turning MFA on; the next step's is accepted too.
    context.mfa["code"] = pyotp.TOTP(context.mfa["secret"]).at(time.time() + 30)
    context.last = context.api.call(
        "POST", "/restaurants/login/mfa", json={"mfa_token": context.mfa["token"], "code": context.mfa["code"]}
    )


@then("they get a bearer token")
def step_got_token(context):
    assert context.last.status_code == 200, context.last.text
    assert context.last.json()["token_type"] == "Bearer"


@then("the same code does not work a second time")
def step_code_once(context):
    challenge = context.api.login("restaurant user", context.mfa["email"]).json()["mfa_token"]
    again = context.api.call(
        "POST", "/restaurants/login/mfa", json={"mfa_token": challenge, "code": context.mfa["code"]}
    )
    assert again.status_code == 401, again.text


@when("the customer refreshes their session")
def step_refresh(context):
    context.first_tokens = context.api.login("customer", context.email).json()
    context.last = context.api.call(
        "POST", f"/{KIND_PATHS['customer']}/refresh-token", json={"refresh": context.first_tokens["refresh"]}
    )


@then("they get a new pair of tokens")
def step_new_pair(context):
    assert context.last.status_code == 200, context.last.text
    context.new_tokens = context.last.json()
    assert context.new_tokens["refresh"] != context.first_tokens["refresh"]


@when("the old refresh token is used again later")
def step_reuse(context):
    # Past the grace window for concurrent refreshes: 1 s on the platforms the features start or CI
    # installs (REFRESH_REUSE_GRACE_S); FEATURES_REUSE_GRACE_S says otherwise for another platform.
    time.sleep(float(os.environ.get("FEATURES_REUSE_GRACE_S", "1")) + 0.5)
    context.last = context.api.call(
        "POST", "/customers/refresh-token", json={"refresh": context.first_tokens["refresh"]}
    )


@then("the whole session is signed out")
def step_signed_out(context):
    assert context.last.status_code == 401, context.last.text
    assert context.last.json()["error"]["code"] == "token_reused"
    newest = context.api.call("POST", "/customers/refresh-token", json={"refresh": context.new_tokens["refresh"]})
    assert newest.status_code == 401, "the newest token of the family is revoked too"
