// Filled with the pvc analyzer.
