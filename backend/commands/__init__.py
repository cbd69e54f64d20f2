"""The ``yimen`` subcommands that open the database themselves: an edge, like the API and the console."""
