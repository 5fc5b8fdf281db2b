"""The contact book: model, loading, checking and fixing."""
