"""The operator web map: its page (``static/``), its front-end packages (``node_modules/``,
installed from the npm registry by ``scripts/install-web-deps.sh``), the basemap read from those
packages (``basemap``) and the flood statistics per administrative unit (``floodstats``)."""
