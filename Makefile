.PHONY: run test setup
run:    ## set up and serve on http://127.0.0.1:5000 with a first owner
	bash scripts/run.sh
test:   ## set up and run the whole test suite
	bash scripts/test.sh
setup:
	bash scripts/setup.sh
