"""The decisions: the case's rules, calendar, rule book and business time; no I/O."""
