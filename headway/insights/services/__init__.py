"""Every write of the insights inbox, one module per area (see each module's docstring)."""
