"""Churn risk: consumes attendance events into per-member features, trains and serves models."""
