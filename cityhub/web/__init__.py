"""Pages served to people: the landing page now, the operations dashboard later."""
