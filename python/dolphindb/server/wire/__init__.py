"""Bytes in and out: the API framing, the DDB codec and its compression, the PICKLE and ARROW
result protocols. Imports only the model and the errors."""
