"""Security tests: keys outside the data, erasure, the access log, files, URLs, screens."""
