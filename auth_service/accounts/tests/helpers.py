"""One function per auth call, as a raw form (the response) and a checked form (asserts success)."""

PASSWORD = "correct horse battery"


def register(client, kind="customers", email="ann@example.com", password=PASSWORD, name="Ann"):
    return client.post(f"/{kind}/register", {"email": email, "password": password, "name": name}, format="json")


def login(client, kind="customers", email="ann@example.com", password=PASSWORD, **extra):
    return client.post(f"/{kind}/login", {"email": email, "password": password}, format="json", **extra)


def refresh(client, token, kind="customers"):
    return client.post(f"/{kind}/refresh-token", {"refresh": token}, format="json")


def registered_and_logged_in(client, kind="customers", email="ann@example.com") -> dict:
    assert register(client, kind, email).status_code == 201
    response = login(client, kind, email)
    assert response.status_code == 200, response.content
    return response.json()
