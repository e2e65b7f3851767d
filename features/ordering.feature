Feature: Ordering food and following it to the door
  A customer orders from a restaurant; the restaurant prepares it; a courier picks it up and
  delivers it; the customer follows every step live.

  Background:
    Given a restaurant user "Chef Lin" with the restaurant "Pho Palace" serving "vietnamese"
    And the menu of "Pho Palace" has "Pho bo" for 1250 cents
    And the menu of "Pho Palace" has "Banh mi" for 800 cents
    And a customer "Cleo" with a delivery address

  Scenario: From order to doorstep, followed live
    Given a courier "Kai" who is available
    When Cleo orders 2 "Pho bo" and 1 "Banh mi" from "Pho Palace"
    Then the order is placed with a total of 3300 cents
    And Kai is assigned to the order
    When Cleo follows the order live
    And the restaurant accepts the order, prepares it and marks it ready
    And Kai picks up the order and delivers it
    Then Cleo saw the order go through "accepted, preparing, ready, picked_up, delivered"
    And the live stream ended
    And the order's history lists every step

  Scenario: Retrying an order with the same key places it once
    When Cleo orders 1 "Pho bo" from "Pho Palace" with the key "cleo-lunch-1"
    And Cleo sends the same order again with the key "cleo-lunch-1"
    Then both answers are the same order
    And Cleo's order history has 1 order

  Scenario: Prices come from the menu, not from the app
    When Cleo orders 1 "Pho bo" from "Pho Palace" claiming it costs 1 cent
    Then the order is placed with a total of 1250 cents

  Scenario: No courier is free until one comes online
    When Cleo orders 1 "Pho bo" from "Pho Palace"
    Then the order waits for a courier
    When a courier "Noor" comes online
    Then Noor is assigned to the order

  Scenario: Other people cannot read someone's order
    When Cleo orders 1 "Pho bo" from "Pho Palace"
    And another customer "Eve" looks at Cleo's order
    Then the request is refused with 404 "order_not_found"

  Scenario: Steps cannot be skipped
    When Cleo orders 1 "Pho bo" from "Pho Palace"
    And the restaurant tries to mark the order ready straight away
    Then the request is refused with 409 "illegal_transition"
    And the error says the order is "placed"

  Scenario: A customer cancels while the order is still placed
    When Cleo orders 1 "Pho bo" from "Pho Palace"
    And Cleo cancels the order
    Then the order is "cancelled"
    When the restaurant tries to accept the order
    Then the request is refused with 409 "illegal_transition"
