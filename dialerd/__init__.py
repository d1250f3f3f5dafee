"""dialerd package."""
