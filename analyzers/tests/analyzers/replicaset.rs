// Filled with the replicaset analyzer.
