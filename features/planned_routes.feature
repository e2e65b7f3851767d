Feature: Dispatch that plans routes
  Orders from one kitchen to one neighbourhood go out together: a courier carries two at once,
  picks both up, then drops them off in order, and the customer of the second stop is told a later
  time than the first.

  Background:
    Given a restaurant user "Chef Ada" with the restaurant "Dumpling Den" serving "chinese"
    And the menu of "Dumpling Den" has "Har gow" for 900 cents

  Scenario: Four orders from one kitchen go out as two routes of two
    Given customers "Ana, Ben, Cy, Di" with delivery addresses in one neighbourhood 2 km from "Dumpling Den"
    And a courier "Rosa" who is available 200 m from "Dumpling Den"
    And a courier "Sami" who is available 300 m from "Dumpling Den"
    When Ana, Ben, Cy and Di each order 1 "Har gow" from "Dumpling Den"
    And the restaurant accepts the orders, prepares them and marks them ready
    Then Rosa and Sami each have a route of two orders, both pickups before the drop-offs
    And the customer of each second stop is told a later arrival than the first
    When Rosa and Sami follow their routes
    Then every order is delivered
