"""The NGSI-LD context broker: entities, the query language, geo-queries and discovery."""
