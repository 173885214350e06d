// Filled with the statefulset analyzer.
