Feature: Every actor is told, nobody has to ask
  The kitchen's tablet sees new orders appear the moment they are placed, the courier's phone is
  told of its delivery and when the food is ready, and a phone that reconnects misses nothing.

  Background:
    Given a restaurant user "Chef Lin" with the restaurant "Pho Palace" serving "vietnamese"
    And the menu of "Pho Palace" has "Pho bo" for 1250 cents
    And a customer "Cleo" with a delivery address

  Scenario: The kitchen sees a new order appear without asking
    Given the kitchen has its board open
    When Cleo orders 1 "Pho bo" from "Pho Palace"
    Then the board shows the order "placed" within 2 seconds
    When Cleo cancels the order
    Then the board shows the order "cancelled" within 2 seconds

  Scenario: A courier is told of their delivery and that it is ready
    Given a courier "Kai" with the task feed open
    When Cleo orders 1 "Pho bo" from "Pho Palace"
    And Kai comes online
    Then Kai's feed shows the delivery with the order "placed"
    When the restaurant accepts the order, prepares it and marks it ready
    Then Kai's feed shows the delivery with the order "ready"

  Scenario: A courier whose order is cancelled is told they are free
    Given a courier "Kai" with the task feed open
    And Kai comes online
    When Cleo orders 1 "Pho bo" from "Pho Palace"
    Then Kai's feed shows the delivery with the order "placed"
    When Cleo cancels the order
    Then Kai's feed shows the delivery "cancelled"
    And Kai's feed, opened again, shows no delivery

  Scenario: A reconnecting kitchen misses nothing
    Given the kitchen has its board open
    And Cleo orders 1 "Pho bo" from "Pho Palace"
    And the board shows the order "placed" within 2 seconds
    When the kitchen's tablet loses its connection
    And the restaurant rejects the order
    And Cleo orders 1 "Pho bo" from "Pho Palace"
    And the kitchen's tablet reconnects
    Then the board receives exactly the 2 changes it missed, in order
