"""caller_id_pool package."""
