"""pacing package."""
