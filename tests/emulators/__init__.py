"""Local stand-ins for outside APIs, used by tests and for trying Cone offline."""
