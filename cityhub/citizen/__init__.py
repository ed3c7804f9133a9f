"""Citizens are heard: Open311 requests, the 12345 workflow, routing and classification."""
