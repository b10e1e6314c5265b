"""python -m tests.fakes.gateway: run the fake gateway as a process."""

from tests.fakes.gateway.server import main

main()
