"""Integrations that follow the cases from outside: the outbox and the ZGW consumer.

Tools on top of the application: they read the notification log and the public, access-checked
queries, and keep their own ``ob_*`` tables in the store's database.
"""
