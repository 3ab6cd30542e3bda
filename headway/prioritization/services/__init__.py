"""Every write of prioritization: scoring models and scores, teams and capacity, capacity plans."""
