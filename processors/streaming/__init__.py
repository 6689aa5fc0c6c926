"""Stream adapters: the Faust application that runs the pure core on Kafka."""
