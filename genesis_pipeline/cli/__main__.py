"""`python -m genesis_pipeline.cli`: the `genesis` command where its script is not on PATH."""

from genesis_pipeline.cli import main

main(prog_name="genesis")
