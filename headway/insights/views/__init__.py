"""Pages of the insights inbox, one module per area: inbox (triage, notes, evidence), imports,
themes and duplicates. Views are thin: parse, call one service or selector, render."""
