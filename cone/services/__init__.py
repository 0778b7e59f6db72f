"""Plain Python use-cases over the models: no Flask request objects (docs/DESIGN.md, "Layers")."""
