# Quick start:  make demo   |   make test
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.docseg_mm-installed
DEMO_WORK_DIR ?= work_dirs/demo

.PHONY: install demo demo-docsam demo-slrnet demo-dig demo-alignseg test clean-demo

$(STAMP): setup.py requirements/runtime.txt requirements/tests.txt requirements/constraints.txt tools/misc/install.sh
	bash tools/misc/install.sh $(VENV)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PATH="$(abspath $(VENV))/bin:$$PATH" bash tools/misc/run_demo.sh $(DEMO_WORK_DIR)

demo-docsam: $(STAMP)
	PATH="$(abspath $(VENV))/bin:$$PATH" bash tools/misc/run_docsam_demo.sh work_dirs/docsam_demo

demo-slrnet: $(STAMP)
	PATH="$(abspath $(VENV))/bin:$$PATH" bash tools/misc/run_slrnet_demo.sh work_dirs/slrnet_demo

demo-dig: $(STAMP)
	PATH="$(abspath $(VENV))/bin:$$PATH" bash tools/misc/run_dig_demo.sh work_dirs/dig_demo

demo-alignseg: $(STAMP)
	PATH="$(abspath $(VENV))/bin:$$PATH" bash tools/misc/run_alignseg_demo.sh work_dirs/alignseg_demo

test: $(STAMP)
	PATH="$(abspath $(VENV))/bin:$$PATH" $(PY) -m pytest tests -q -p no:cacheprovider $(PYTEST_ARGS)

clean-demo:
	rm -rf data/demo $(DEMO_WORK_DIR)
