"""Admin for crossings, reports and visits."""
