// Filled with the job analyzer.
