"""One module per `vmss-contract` sub-command; each exposes `command`."""
