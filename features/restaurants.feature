Feature: Restaurants and menus
  Restaurant users build their restaurant and menu; everyone can browse and search them.

  Background:
    Given a restaurant user "Chef Lin" with the restaurant "Pho Palace" serving "vietnamese"

  Scenario: A restaurant user builds a menu that anyone can read
    When the restaurant user adds "Pho bo" for 1250 cents to the menu
    And the restaurant user adds "Banh mi" for 800 cents to the menu
    Then anyone reading the menu of "Pho Palace" sees "Pho bo" for 1250 cents and "Banh mi" for 800 cents

  Scenario: A price change is visible on the next read
    Given the menu of "Pho Palace" has "Pho bo" for 1250 cents
    And a customer has looked at the menu
    When the restaurant user changes the price of "Pho bo" to 1400 cents
    Then anyone reading the menu of "Pho Palace" sees "Pho bo" for 1400 cents

  Scenario: Customers browse and search restaurants
    When a customer searches restaurants for "PHO"
    Then "Pho Palace" is among the results
    When a customer browses restaurants of the cuisine "vietnamese"
    Then "Pho Palace" is among the results

  Scenario: Another restaurant user cannot change the restaurant
    Given another restaurant user "Rival"
    When "Rival" tries to rename "Pho Palace"
    Then the request is refused with 403 "not_owner"
    And "Rival" cannot add dishes to "Pho Palace" either

  Scenario: Prices must be whole cents
    When the restaurant user adds "Soup" for "12.50" cents to the menu
    Then the request is refused with 400 "invalid"
