Feature: The delivery promise: who delivers to me, how much, and by when
  Before paying, a customer learns which restaurants deliver to their door, what the order will
  cost with the delivery fee, and when it should arrive; a late kitchen moves that time, and the
  customer is told without asking.

  Background:
    Given a customer "Cleo" at home in a town of her own
    And a restaurant user "Chef Lin"

  Scenario: A customer sees only restaurants that deliver to them, nearest first
    Given Chef Lin's restaurant "Town Pizza" 3 km from Cleo's home, delivering within 5 km
    And Chef Lin's restaurant "Corner Pho" 1 km from Cleo's home, delivering within 5 km
    And Chef Lin's restaurant "Far Sushi" 9 km from Cleo's home, delivering within 5 km
    When Cleo looks for restaurants that deliver to her home
    Then she sees "Corner Pho, Town Pizza" in that order
    And each of them says how far it is and how many minutes an order takes

  Scenario: The quote and the order agree
    Given Chef Lin's restaurant "Corner Pho" 2 km from Cleo's home, delivering within 5 km, for a fee of 250 cents
    And the menu of "Corner Pho" has "Pho bo" for 1250 cents
    When Cleo asks what 2 "Pho bo" from "Corner Pho" would cost
    Then the quote says 2500 cents of food, 250 cents of delivery, 2750 cents in all, and when it would arrive
    When Cleo orders 2 "Pho bo" from "Corner Pho"
    Then the order costs exactly what the quote said and arrives when it said

  Scenario: A late kitchen moves the customer's arrival time
    Given Chef Lin's restaurant "Corner Pho" 2 km from Cleo's home, delivering within 5 km
    And the menu of "Corner Pho" has "Pho bo" for 1250 cents
    And Cleo orders 1 "Pho bo" from "Corner Pho"
    And the restaurant accepts it, saying it will be ready in 20 minutes
    And Cleo follows the order live
    When the restaurant says it is running 10 minutes late
    Then Cleo is told that the food now arrives 10 minutes later
