"""Operating Frequenta on one machine: the process launcher behind `make up` and the
end-to-end tests, and the pre-flight check of the servers it needs."""
