// Filled with the cronjob analyzer.
