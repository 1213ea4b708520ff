"""One module per top-level verb; each is imported only when its verb runs."""
