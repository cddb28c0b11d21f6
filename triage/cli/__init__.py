"""The ``avgdesk`` command line: a root Typer app and one module per command group."""
