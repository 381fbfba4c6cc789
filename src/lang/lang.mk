# src/lang: filled in by the part that lives there.
