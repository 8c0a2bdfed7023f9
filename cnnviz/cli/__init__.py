"""The command line: the only place that ties library pieces together for the terminal."""
