"""Sources p and models q: what streams are drawn from, and what codes are built from."""
