// Filled with the ingress analyzer.
