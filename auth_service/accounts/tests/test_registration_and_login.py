import jwt as pyjwt
import pytest

from accounts.tests.helpers import PASSWORD, login, register, registered_and_logged_in


def test_registering_answers_201_with_the_public_account(api_client):
    response = register(api_client, email="  Ann@Example.COM ")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "name", "user_type"}
    assert body["email"] == "ann@example.com"
    assert body["user_type"] == "customer"
    assert len(body["id"]) == 24


def test_the_password_is_stored_as_an_argon2_hash(api_client, mongo_db):
    register(api_client)

    stored = mongo_db["accounts"].find_one({"email": "ann@example.com"})
    assert stored["password"].startswith("argon2$")
    assert PASSWORD not in stored["password"]


def test_new_passwords_are_hashed_with_argon2id_at_owasps_cost(api_client, mongo_db):
    register(api_client)

    stored = mongo_db["accounts"].find_one({"email": "ann@example.com"})
    assert stored["password"].startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_password_hashed_at_the_old_cost_still_signs_in_and_is_rehashed(api_client, mongo_db):
    import argon2

    register(api_client)
    # What Django's own Argon2 settings stored before (100 MiB, 2 passes, 8 lanes).
    old = argon2.PasswordHasher(time_cost=2, memory_cost=102400, parallelism=8).hash(PASSWORD)
    mongo_db["accounts"].update_one({"email": "ann@example.com"}, {"$set": {"password": "argon2" + old}})

    assert login(api_client).status_code == 200

    stored = mongo_db["accounts"].find_one({"email": "ann@example.com"})["password"]
    assert stored.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert login(api_client).status_code == 200


def test_a_hash_at_todays_cost_is_left_as_it_is_at_sign_in(api_client, mongo_db):
    register(api_client)
    before = mongo_db["accounts"].find_one({"email": "ann@example.com"})["password"]

    assert login(api_client).status_code == 200

    assert mongo_db["accounts"].find_one({"email": "ann@example.com"})["password"] == before


def test_the_same_email_twice_in_one_kind_is_a_409(api_client):
    register(api_client)
    response = register(api_client, email="ANN@example.com")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


def test_the_same_email_may_exist_once_per_kind(api_client):
    assert register(api_client, "customers").status_code == 201
    assert register(api_client, "couriers").status_code == 201
    assert register(api_client, "restaurants").status_code == 201


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1", "too short"),
        ("12345678901234", "entirely numeric"),
        ("password123", "too common"),
        ("ann@example.com", "too similar"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(api_client, password, reason):
    response = register(api_client, password=password)

    assert response.status_code == 400
    assert any(reason in message for message in response.json()["error"]["details"]["password"])


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD, "name": "A"},
        {"email": {"$ne": ""}, "password": PASSWORD, "name": "A"},
        {"email": "a@b.co", "password": PASSWORD},
        {"email": "a@b.co", "password": PASSWORD, "name": "x" * 101},
    ],
)
def test_invalid_registrations_are_400(api_client, body):
    response = api_client.post("/customers/register", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_login_returns_bearer_tokens_with_the_contract_claims(api_client, jwt_key_pair):
    tokens = registered_and_logged_in(api_client, "couriers")

    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600
    claims = pyjwt.decode(tokens["access"], jwt_key_pair[1], algorithms=["RS256"], audience="food-delivery")
    assert claims["user_type"] == "courier"
    assert claims["token_type"] == "access"
    assert claims["iss"] == "food-delivery-auth"
    assert pyjwt.get_unverified_header(tokens["access"])["kid"]


def test_each_kind_logs_in_only_through_its_own_routes(api_client):
    register(api_client, "customers")

    assert login(api_client, "couriers").status_code == 401


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(api_client):
    register(api_client)
    wrong_password = login(api_client, password="nope nope nope")
    unknown_email = login(api_client, email="nobody@example.com")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()


def test_repeated_failures_on_one_account_are_rate_limited(api_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    register(api_client)
    statuses = [login(api_client, password="wrong password!").status_code for _ in range(3)]
    limited = login(api_client)  # even the right password waits until the window ends

    assert statuses == [401, 401, 401]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= settings.LOGIN_ACCOUNT_WINDOW_S


def test_failures_from_one_address_across_accounts_are_rate_limited(api_client, settings):
    settings.LOGIN_FAILURES_PER_IP = 3
    for n in range(3):
        login(api_client, email=f"guess{n}@example.com", REMOTE_ADDR="10.0.0.9")

    assert login(api_client, email="other@example.com", REMOTE_ADDR="10.0.0.9").status_code == 429
    assert login(api_client, email="other@example.com", REMOTE_ADDR="10.0.0.10").status_code == 401


def test_a_successful_login_clears_the_account_counter(api_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    register(api_client)
    login(api_client, password="wrong password!")
    login(api_client, password="wrong password!")
    assert login(api_client).status_code == 200

    login(api_client, password="wrong password!")
    assert login(api_client).status_code == 200
