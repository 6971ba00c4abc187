"""Reading a shop's export onto the engine: files, mappings, types, cleaning."""
