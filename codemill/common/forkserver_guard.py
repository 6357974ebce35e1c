"""Imported by multiprocessing forkservers (see `processes.guard_processes`): their forks die with them."""

from codemill.common.processes import guard_forks

guard_forks()
