"""Thin Celery wrappers."""
