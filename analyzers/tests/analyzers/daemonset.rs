// Filled with the daemonset analyzer.
