"""The console's routes, one module per area; each registers its router in ``stockyard.web.app``."""
