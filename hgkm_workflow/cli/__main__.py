"""``python -m hgkm_workflow.cli``: the ``hgkm`` command."""

from hgkm_workflow.cli import main

main()
