"""gatecomp: compile trained logic networks to verified hardware."""
