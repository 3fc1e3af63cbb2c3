"""Reports: the paper's tables beside the user's numbers (Markdown and PNG charts)."""
