"""Pure logic: no database, no HTTP; plain functions and small value types."""
