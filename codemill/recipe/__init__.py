"""One recipe YAML drives every stage: sources, data, model, finetune and eval sections.

The whole recipe (`Recipe`, `load_recipe`) is in `loader`, each section's options in a module of its
own, and this package imports none of them: building every section's pydantic models costs about
0.2 s, which `codemill extract pdf` (it needs only `pdf.PdfOptions`) should not pay at start-up.
"""
