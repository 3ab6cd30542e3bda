"""Every read of prioritization that is more than a get: signals, rankings, capacity, plans, saying no."""
