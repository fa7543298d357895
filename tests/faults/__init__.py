"""A local fault-injection web site (`tests.faults.site.serve_faults`) and tests of it."""
