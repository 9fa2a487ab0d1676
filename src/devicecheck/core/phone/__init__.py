"""Checking an Android phone over USB debugging, reading only (see `engine`)."""
