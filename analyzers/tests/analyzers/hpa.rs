// Filled with the hpa analyzer.
