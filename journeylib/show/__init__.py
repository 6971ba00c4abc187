"""What no analysis owns: tables, number formats, sentences, widgets, alt text."""
