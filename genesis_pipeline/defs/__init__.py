"""Everything Dagster-specific: the stage assets and their gate checks (`stages/`, `checks`),
the sensors, schedules and jobs (`automation/`), the resources and the IO manager
(`resources`), and the in-process session driver (`session_runner`). Assembled in
`genesis_pipeline.definitions`."""
