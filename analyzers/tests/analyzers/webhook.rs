// Filled with the webhook analyzer.
