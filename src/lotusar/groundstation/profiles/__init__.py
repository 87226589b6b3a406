"""Built-in mission/link profiles (YAML data, not code): frame layout, coding, packets, beacons."""
