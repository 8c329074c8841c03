"""Layer 0: what every layer agrees on (config, schema, prompt, contract, errors, io, models, tokens)."""

__version__ = "0.1.0"
