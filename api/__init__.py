"""GridWatch central API: alerts in, grid events out, lifecycle, grids, devices, users."""
