"""The throw-away test PKI and the key and certificate files entries ask for.

- :mod:`.authority`: a lazy, memoised, thread-safe root, intermediate and leaves (imports cryptography).
- :mod:`.fixtures`: the named fixtures (cheap to import: the loader checks names against it).
"""
