"""Steps shared by every feature: refusals and their error codes."""

from behave import then


@then('the request is refused with {status:d} "{code:Q}"')
def step_refused(context, status, code):
    response = context.last
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.json()["error"]["code"] == code, response.text


@then('the error says the order is "{state:Q}"')
def step_error_current_state(context, state):
    assert context.last.json()["error"]["details"]["current"] == state, context.last.text
