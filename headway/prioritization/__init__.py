"""Prioritization: scoring frameworks, customer demand, value vs effort, and the capacity planner.

The pure parts come first (no database): ``formula`` (a safe expression language for custom scoring
models), ``frameworks`` (RICE, ICE, WSJF, weighted scorecards, value vs effort, MoSCoW, Kano) and
``planner`` (the integer program that fits a ranked backlog into a team's capacity).
"""
