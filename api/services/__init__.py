"""Services: plain functions with keyword-only arguments over a SQLAlchemy session."""
