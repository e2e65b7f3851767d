Feature: The people who run the city move an order when a courier cannot take it
  An operator, never self-registered and always signed in with a code, gives an order to another
  courier with a reason; the customer sees the new courier, the first one is free again and never
  gets that order back, and the audit log says who did what, to which order, and why.

  Background:
    Given a restaurant user "Chef Lin" with the restaurant "Pho Palace" serving "vietnamese"
    And the menu of "Pho Palace" has "Pho bo" for 1250 cents
    And a customer "Cleo" with a delivery address
    And an operator "Olga" signed in with a code

  Scenario: An order moves from a courier whose bike broke down to another
    Given a courier "Kai" who is available
    And Cleo orders 1 "Pho bo" from "Pho Palace"
    And Kai is assigned to the order
    And a courier "Rae" who is available
    When Olga gives the order to Rae because "Kai's bike broke down"
    Then Rae is assigned to the order
    And Kai is free, his delivery of the order cancelled
    And the audit log shows that Olga's "assign" of the order to Rae was applied because "Kai's bike broke down"

  Scenario: An order taken from a courier waits for another
    Given a courier "Kai" who is available
    And Cleo orders 1 "Pho bo" from "Pho Palace"
    And Kai is assigned to the order
    When Olga takes the order from its courier because "Kai is stuck in traffic"
    Then the order waits for a courier
    And Kai is free, his delivery of the order cancelled
    When a courier "Rae" comes online
    Then Rae is assigned to the order

  Scenario: Every action needs a reason
    Given a courier "Kai" who is available
    And Cleo orders 1 "Pho bo" from "Pho Palace"
    When Olga takes the order from its courier without a reason
    Then the request is refused with 400 "invalid"

  Scenario: A picked-up order stays with its courier
    Given a courier "Kai" who is available
    And Cleo orders 1 "Pho bo" from "Pho Palace"
    And Kai is assigned to the order
    And the kitchen has the order ready
    And Kai picks up the order
    And a courier "Rae" who is available
    When Olga gives the order to Rae because "Rae is closer"
    Then the request is refused with 409 "illegal_transition"
    And the audit log shows that Olga's "assign" of the order to Rae was refused because "Rae is closer"
