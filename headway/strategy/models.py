"""Tables of this app (filled in by its issue work)."""
