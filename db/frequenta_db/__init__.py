"""Database set-up of Frequenta: versioned migrations and initial data, one package per database.

``python -m frequenta_db init`` creates the attendance database from nothing (or brings an
existing one up to date) and loads the default plans; running it again changes nothing.
"""
