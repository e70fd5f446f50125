"""hgkm_workflow: an event-sourced workflow engine for 'gefaseerd samenwerken aan veiligheid'."""
