"""The Textual interface: screens over the application layer, no SQL here."""
