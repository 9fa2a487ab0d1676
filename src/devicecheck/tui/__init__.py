"""The Textual walkthrough. Imported only when the walkthrough starts (never by the core)."""
