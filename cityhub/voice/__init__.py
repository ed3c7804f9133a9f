"""Public opinion: hot issues, sentiment, reply evaluation and the daily brief."""
