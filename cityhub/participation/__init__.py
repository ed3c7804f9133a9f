"""Participation: proposals citizens make, support and discuss, answered by the city."""
