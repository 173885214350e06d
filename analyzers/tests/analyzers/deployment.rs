// Filled with the deployment analyzer.
