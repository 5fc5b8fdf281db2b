"""One module per command group; each command parses options, calls the core, renders the result."""
