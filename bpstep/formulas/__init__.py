"""Rules and substituted formulas of every step, by kind of run; the op descriptors in
``bpstep/ops.py`` point here."""
