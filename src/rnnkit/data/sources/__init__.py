"""Built-in data sources, one module per source package; each registers its datasets."""
