// Placeholder test file.
