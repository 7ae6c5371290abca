"""The HTTP client core: configuration, credentials, the token, the one request funnel, errors,
models, rules, waits, the vault and the exchange history. It imports nothing of the notebook
layer or the front-ends, and never IPython (the import contracts in pyproject.toml say so)."""
