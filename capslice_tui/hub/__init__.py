"""The team hub: share runs, labels, slices and interventions through a PostgreSQL database.

``schema`` holds the hub's SQL (versioned migrations and the DBA roles), ``sync`` pushes and
pulls between a local SQLite store and a hub. psycopg is imported only when a hub is contacted,
so commands that never touch a hub start as fast as before.
"""
