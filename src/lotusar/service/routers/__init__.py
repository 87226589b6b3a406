"""HTTP API routers, one per area: stac, tasking, plans, tiles, webmap (and the web map guide)."""
