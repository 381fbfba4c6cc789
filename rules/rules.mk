# rules: filled in by the part that lives there.
