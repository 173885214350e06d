// Filled with the service analyzer.
