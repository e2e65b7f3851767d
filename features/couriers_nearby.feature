Feature: Couriers near the restaurant
  The nearest free courier gets the order, the customer sees the courier coming, and a restaurant
  only delivers within its area.

  Background:
    Given a restaurant user "Chef Lin" with the restaurant "Pho Palace" serving "vietnamese"
    And the menu of "Pho Palace" has "Pho bo" for 1250 cents
    And a customer "Cleo" with a delivery address

  Scenario: The nearest courier gets the order
    Given a courier "Farah" who is available 3 km from "Pho Palace"
    And a courier "Nico" who is available 300 m from "Pho Palace"
    When Cleo orders 1 "Pho bo" from "Pho Palace"
    Then Nico is assigned to the order

  Scenario: The customer watches the courier approach
    Given a courier "Kai" who is available 2 km from "Pho Palace"
    When Cleo orders 1 "Pho bo" from "Pho Palace"
    Then Kai is assigned to the order
    When Cleo follows the order live
    And Kai moves to 1 km from "Pho Palace"
    Then Cleo sees Kai's position on the live stream with an arrival estimate
    And Cleo's order shows where Kai is

  Scenario: An address outside the delivery area is refused
    Given a customer "Otto" with a delivery address 30 km from "Pho Palace"
    When Otto orders 1 "Pho bo" from "Pho Palace"
    Then the request is refused with 409 "outside_delivery_area"
    And the error names the distance and the radius
    And Otto's order history has 0 order
