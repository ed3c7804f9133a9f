"""JSON-LD handling for NGSI-LD: contexts compiled once into term maps, no general processor."""

from cityhub.jsonld.termmap import CORE_CONTEXT_URL, DEFAULT_VOCAB, TermMap

__all__ = ["CORE_CONTEXT_URL", "DEFAULT_VOCAB", "TermMap"]
