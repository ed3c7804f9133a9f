"""Clients, tutorials and data the field already uses, unchanged, against a real cityhub: each
installed from PyPI (FiLiP in its own environment) and used as its documentation shows."""
