"""The demo city: real district boundaries and simulated devices whose readings change."""
