"""The ganstudio command line."""
