"""Programme results: the project ledger (台账), park membership, chain-based
targeting (以商招商) and the dashboard.

- :mod:`recommender.projects.ledger` stores projects with their dated stage history, feeds
  signed/landed projects into the outcome history and landed ones into park membership;
- :mod:`recommender.projects.dashboard` aggregates projects, outcomes and the recommendation
  log per pairing, city and park, in SQL (GROUP BY);
- :mod:`recommender.projects.targeting` ranks the 沪苏浙 suppliers and customers of the firms
  already in a park through the ranking service, and evaluates such lists;
- :mod:`recommender.projects.service` is the facade the API, the pages and the CLI call.
"""
