Feature: A swamped kitchen pauses new orders
  A restaurant that cannot keep up stops taking new orders for a while, from its back office or
  the API. Customers can still see it, after the restaurants that do take orders, and are told
  until when it is paused; orders already placed go on. It resumes by itself, or earlier.

  Background:
    Given a customer "Cleo" at home in a town of her own
    And a restaurant user "Chef Lin"
    And Chef Lin's restaurant "Corner Pho" 1 km from Cleo's home, delivering within 5 km
    And the menu of "Corner Pho" has "Pho bo" for 1250 cents
    And Chef Lin's restaurant "Town Pizza" 3 km from Cleo's home, delivering within 5 km

  Scenario: Orders wait while the kitchen is paused, and come again when it resumes
    Given Cleo orders 1 "Pho bo" from "Corner Pho"
    When Chef Lin pauses new orders at "Corner Pho" for 30 minutes
    Then Cleo is told that "Corner Pho" takes no orders until the pause ends, when asking what 1 "Pho bo" would cost and when ordering it
    And Cleo sees "Town Pizza, Corner Pho" in that order, "Corner Pho" not accepting orders
    And the order placed before the pause goes on: the restaurant can still accept it
    When Chef Lin resumes new orders at "Corner Pho"
    Then Cleo can order 1 "Pho bo" from "Corner Pho" again

  Scenario: Only the owner pauses, for 1 to 720 minutes
    Given another restaurant user "Rival"
    When "Rival" tries to pause new orders at "Corner Pho" for 30 minutes
    Then the request is refused with 403 "not_owner"
    When Chef Lin tries to pause new orders at "Corner Pho" for 721 minutes
    Then the request is refused with 400 "invalid"
    And "Corner Pho" is still taking orders
