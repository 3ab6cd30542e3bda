"""Every read of the insights inbox that is more than a ``get``, scoped by ``core.permissions``."""
