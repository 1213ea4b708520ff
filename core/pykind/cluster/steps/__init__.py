"""Built-in create steps, registered as a plugin through ``pykind_create_steps``."""
