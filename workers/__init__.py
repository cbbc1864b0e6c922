"""Workers: job functions, the arq worker, and running jobs in-process or through Redis."""
