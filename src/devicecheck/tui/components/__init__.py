"""Screens and widgets of the walkthrough: one module each, with its .tcss beside it."""
