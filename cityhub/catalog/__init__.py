"""Dataset catalog: datasets and their rows, sharing classification, sensitive-data detection and
masking, audited access, the CKAN-compatible action API and DCAT-AP export."""
