"""Plain-Python domain rules: no Textual, no SQL, no network."""
