# Long runs (not part of make test): the bundled scenario with a long hold, k6 sampled for growth.

.PHONY: soak
soak: build fwsim ## Soak: the bundled scenario with a 20-minute hold (FW_SOAK_HOLD), k6 RSS/goroutines/fds every 10 s
	scripts/soak.sh
