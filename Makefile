# The two commands a newcomer needs. Both install whatever is missing first.
.PHONY: run test bench setup build
run:   ## build and serve the portal on http://127.0.0.1:8080/
	@scripts/run.sh
test:  ## run every test layer; ends with "N passed, N failed"
	@scripts/test.sh
bench: ## measure on this machine and rewrite BENCHMARKS.md
	@scripts/bench.sh
setup: ## only install the tools
	@scripts/setup.sh
build: ## only build dist/ and print the size report
	@scripts/setup.sh && scripts/build.sh
