"""Frequenta's seeded gym simulator."""
