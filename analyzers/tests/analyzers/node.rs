// Filled with the node analyzer.
