"""One router module per resource; routes translate HTTP to service calls."""
