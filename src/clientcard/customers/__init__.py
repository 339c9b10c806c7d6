"""Customer records: building and changing them, tags, links, documents, the card."""
