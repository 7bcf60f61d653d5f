"""Persisted operations: Apollo's automatic persisted queries, documents named by id, and
trusted-documents mode (only operations registered ahead of time run).

``documents`` (ids, canonical text), ``manifests`` (``.graphql`` files, Relay and Apollo
manifests), ``store`` (the SQLite file), ``gate`` (what one request may run) and
``register`` (``c360 operations register``). The HTTP view calls the gate before Strawberry
sees the request (``customer360/app.py``).
"""
