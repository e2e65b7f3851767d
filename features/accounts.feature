Feature: Accounts and signing in
  Customers, restaurant users and couriers each have their own accounts and sign in through their
  own door. Restaurant users can protect their account with a code from an authenticator app.

  Scenario Outline: A <kind> registers and signs in
    When a <kind> registers as "pat@example.com" with a strong password
    Then the account is created
    And the <kind> can sign in and gets a bearer token

    Examples:
      | kind            |
      | customer        |
      | restaurant user |
      | courier         |

  Scenario: The same email can be a customer and a courier, but not two customers
    Given a customer registered as "sam@example.com"
    When a courier registers as "sam@example.com" with a strong password
    Then the account is created
    When a customer registers as "sam@example.com" with a strong password
    Then the request is refused with 409 "email_taken"

  Scenario: A weak password is refused with the reason
    When a customer registers as "weak@example.com" with the password "12345678"
    Then the request is refused with 400 "invalid"

  Scenario: A wrong password does not say whether the account exists
    Given a customer registered as "ann@example.com"
    When the customer signs in with a wrong password
    Then the request is refused with 401 "invalid_credentials"
    And signing in as an unknown email gets exactly the same answer

  Scenario: Guessing a password is slowed down
    Given a customer registered as "target@example.com"
    When someone tries 5 wrong passwords for that customer
    Then the next attempt is refused with 429 and a Retry-After header

  Scenario: A restaurant user signs in with a one-time code
    Given a restaurant user who turned on two-factor sign-in
    When the restaurant user signs in with their password
    Then they are asked for a code instead of getting tokens
    When they give the code from their authenticator app
    Then they get a bearer token
    And the same code does not work a second time

  Scenario: A refresh token works once
    Given a customer registered as "rita@example.com"
    When the customer refreshes their session
    Then they get a new pair of tokens
    When the old refresh token is used again later
    Then the whole session is signed out
