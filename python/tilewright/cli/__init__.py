"""Front doors: the ``tilewright`` and ``tilewright-opt`` commands (one small module per subcommand)."""
