# The two set-up commands of the README: `make main` (train + tag the example) and `make test`.
PYTHON ?= python3
# The CPU build; GPU users: `make main TORCH=torch` after installing their CUDA build of torch.
TORCH ?= torch==2.13.0

.PHONY: install main test

install:
	$(PYTHON) -m pip install --quiet "$(TORCH)"
	$(PYTHON) -m pip install --quiet -e ".[dev]"

main: install
	$(PYTHON) -m training train --config configs/default.yaml
	$(PYTHON) -m training tag data/examples/article.txt --model outputs/default/model

test: install
	$(PYTHON) -m pytest
