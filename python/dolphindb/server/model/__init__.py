"""The server's object model: DolphinDB values, the one table of type facts, column helpers."""
