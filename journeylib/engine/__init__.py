"""The event log: reading, validating, sessions, stages, periods, the backend."""
