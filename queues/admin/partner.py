"""Admin for partner keys, alert subscriptions and deliveries."""
