# Ecosystem checks: `xk6 lint` (the k6 extension registry's compliance grade) and govulncheck.
# Both put the pinned tools (bin/tools: gosec, govulncheck) first on PATH, where xk6 lint looks for them.
# The Go vulnerability database (vuln.go.dev) needs the network: where it is unreachable, the
# vulnerability check is skipped with a printed reason, never failed (see README, "Ecosystem checks").

VULN_DB ?= https://vuln.go.dev
XK6_LINT_PASSING ?= C

# vuln-db-reachable prints "yes" when the vulnerability database answers.
vuln_db_reachable = $(shell curl -fsS -m 5 -o /dev/null $(VULN_DB)/index/db.json 2>/dev/null && echo yes)

.PHONY: xk6-lint
xk6-lint: $(TOOLS_BIN)/gosec $(TOOLS_BIN)/govulncheck ## xk6 lint (grade + checks) with the pinned gosec/govulncheck
	@if [ "$(vuln_db_reachable)" = yes ]; then passed=; else \
	  echo "NOTE: $(VULN_DB) unreachable: the vulnerability check is NOT run (marked passed for the grade only)"; \
	  passed=--passed=vulnerability; fi; \
	PATH="$(TOOLS_BIN):$$PATH" XK6_EARLY_ACCESS=true $(XK6) lint --passing $(XK6_LINT_PASSING) $$passed $(CURDIR)

.PHONY: vulncheck
vulncheck: $(TOOLS_BIN)/govulncheck ## govulncheck every Go module (skipped, with the reason, when the DB is unreachable)
	@if [ "$(vuln_db_reachable)" != yes ]; then echo "SKIP vulncheck: $(VULN_DB) unreachable (no network to the Go vulnerability database)"; exit 0; fi; \
	set -e; for m in $(GO_MODULES); do echo "govulncheck ($$m)"; $(TOOLS_BIN)/govulncheck -C $$m ./...; done
