"""API keys bound to departments; writes need a key once any key exists."""
