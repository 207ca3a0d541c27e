# The project's commands. A fresh clone needs only `make book` or `make test`:
# both create the environment (.venv, from requirements.lock) when it is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
KATEX  := node_modules/katex/dist/katex.min.js
LIGHTHOUSE := node_modules/.bin/lighthouse
BOOK   := $(BIN)/jupyter-book build -W -n --keep-going .
ASSIGNMENTS := _build/assignments
GRADES ?= _build/grades.csv

.PHONY: book pdf test test-long test-grading test-pdf test-baseline screenshots lab bench assignments grade merge-grades clean lock

book: assignments
	$(BOOK)

# The whole book as one PDF, into the site beside the notebooks bundle (linked from the landing
# page and every page's download menu): the -W single-page build, printed by Chromium with a
# title page and page-numbered contents (pdf/print_book.py; _ext/book_pdf.py).
PDF := _build/html/appendix-b.pdf
SINGLE_PAGE := _build/pdf
pdf: assignments
	$(BIN)/jupyter-book build -W -n --keep-going --builder singlehtml --path-output $(SINGLE_PAGE) .
	$(BIN)/python pdf/print_book.py $(SINGLE_PAGE)/_build/singlehtml/intro.html $(PDF)

# The PDF read back (tests/test_pdf.py), and its links from the site: a step of its own
# (.ci/run runs it after make test and make test-baseline), outside `make test`'s time.
test-pdf: book pdf
	TEST_PDF=1 $(BIN)/python -m pytest -q tests/test_pdf.py

# Every test but the long ones and the grader's: the -W book build (from the notebooks' committed
# outputs), then one pytest run over the library, its doctests and every notebook under nbval
# (strict), in TEST_WORKERS processes side by side (each notebook's cells stay in one process).
TEST_WORKERS ?= 2
test: assignments
	$(BOOK)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope -m "not long and not grading"

# The grader's tests (marked `grading`), a step of their own in .ci/run after make test: the
# attacks on the sandbox, the grader's parts and whole batches, running a term. Most grade
# notebooks end to end, each in a bubblewrap sandbox.
test-grading: assignments
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope -m grading

# The long checks (marked `long`), a step of their own in .ci/run after make test: axe over
# every built page in light and dark mode, every control of a chapter page tabbed through and
# its focus compared pixel for pixel, the notebooks bundle installed and run in a
# fresh virtual environment, as a student without a clone does, the library's wheel
# installed alone in one, and the layout checks that load every page (displays, figures'
# text, the phone's contents drawer).
test-long: assignments
	$(BOOK)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope -m long

# Every chapter and assignment master again, as another processor runs them: NumPy's SIMD
# dispatch and the BLAS kernels of NumPy and SciPy turned down to the baseline, compared with the
# same committed outputs (tests/dispatch.py). A printed digit that depends on the processor fails here.
test-baseline: $(READY)
	$(BIN)/python tests/dispatch.py -n $(TEST_WORKERS) --dist loadscope

# The site at 390 and 1280 px, light and dark, as the browser tests see it, into
# _build/screenshots/ (for reading with your own eyes; `make test` skips them to save time).
screenshots: book
	SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_site.py tests/test_site_layout.py

# (--allow-root only where make runs as root, as in containers.)
lab: $(READY)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

# Student copies (solutions stripped, hidden tests removed) and grader bundles.
assignments: $(READY)
	$(BIN)/python assignments/autograde.py build $(ASSIGNMENTS)

# Grade every notebook in a folder, each in its own bubblewrap sandbox, side by side, into one
# CSV (resumable) and a feedback file per submission in feedback/ next to it. Optional limits:
# TIMEOUT (s), JOBS, MEMORY (e.g. 1G), PROCESSES, FILESIZE, OUTPUT; ASSIGNMENT=name (or all)
# chooses the assignment graded (default: the one most students name); FEEDBACK=brief gives
# the score per question only; REGRADE=1 grades everything again; SANDBOX=off only for trusted notebooks.
# A term: ROSTER=roster.csv (per-student, Canvas and Moodle files in term/ beside the CSV), DUE, PENALTY,
# LATE_LIMIT, CANVAS_ASSIGNMENT; SHARD=k/n grades part k of n (`make merge-grades` joins the parts).
GRADE_OPTIONS = $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(JOBS),--jobs $(JOBS)) \
	$(if $(MEMORY),--memory $(MEMORY)) $(if $(PROCESSES),--processes $(PROCESSES)) \
	$(if $(FILESIZE),--file-size $(FILESIZE)) $(if $(OUTPUT),--output $(OUTPUT)) \
	$(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) \
	$(if $(filter brief,$(FEEDBACK)),--brief) $(if $(REGRADE),--regrade) \
	$(if $(SHARD),--shard $(SHARD)) $(TERM_OPTIONS)
TERM_OPTIONS = $(if $(filter off,$(SANDBOX)),--no-sandbox) \
	$(if $(ROSTER),--roster $(ROSTER)) $(if $(DUE),--due $(DUE)) \
	$(if $(PENALTY),--penalty $(PENALTY)) $(if $(LATE_LIMIT),--late-limit $(LATE_LIMIT)) \
	$(if $(CANVAS_ASSIGNMENT),--canvas-assignment $(CANVAS_ASSIGNMENT))
# Through make, the grader's exit status 1 (something needs the instructor) and 2 (input that cannot be
# used) both end make with its own status 2, after "make: *** [...] Error 1" (or "Error 2"), which says which.
grade: $(READY)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [GRADES=file.csv] [TIMEOUT=s]" \
		"[JOBS=n] [MEMORY=1G] [PROCESSES=n] [FILESIZE=16M] [OUTPUT=1M] [ASSIGNMENT=name|all] [FEEDBACK=brief]" \
		"[REGRADE=1] [SANDBOX=off] [SHARD=k/n] [ROSTER=roster.csv] [DUE=date] [PENALTY=share]" \
		"[LATE_LIMIT=days] [CANVAS_ASSIGNMENT=id] (each explained in README.md, Grading assignments)"; exit 2; }
	$(BIN)/python assignments/autograde.py grade $(SUBMISSIONS) $(GRADES) $(GRADE_OPTIONS)

# The parts of a sharded run (PARTS="part1/grades.csv part2/grades.csv ...") into GRADES, with the
# term's files when ROSTER is given (then also SUBMISSIONS, and the same DUE, PENALTY, ... as the parts').
merge-grades: $(READY)
	@test -n "$(PARTS)" || { echo "usage: make merge-grades PARTS=\"part1/grades.csv ...\" [GRADES=file.csv]" \
		"[SUBMISSIONS=folder] [ROSTER=roster.csv] [DUE=date] [PENALTY=share] [LATE_LIMIT=days]" \
		"[CANVAS_ASSIGNMENT=id] [SANDBOX=off]"; exit 2; }
	$(BIN)/python assignments/autograde.py merge $(GRADES) $(PARTS) $(if $(SUBMISSIONS),--submissions $(SUBMISSIONS)) $(TERM_OPTIONS)

# Accuracy and speed against peers, how soon the site's pages are ready against the last
# client-side MathJax build, and Lighthouse's scores for every page (not part of `make test`:
# timings and scores are measured, not asserted).
bench: $(READY) $(LIGHTHOUSE)
	cd benchmarks && ../$(BIN)/python accuracy.py && ../$(BIN)/python speed.py && ../$(BIN)/python grading.py \
		&& ../$(BIN)/python site_speed.py && ../$(BIN)/python lighthouse.py

clean:
	rm -rf _build .pytest_cache .hypothesis

# Re-resolve the newest versions and rewrite the lock file (maintainers only).
lock:
	rm -rf _build/lock-venv && $(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python -m pip install --quiet ".[book,test,lab]"
	{ sed -n '1,2p' requirements.lock; _build/lock-venv/bin/python -m pip freeze --all --exclude pip --exclude mathlib-medl; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

$(READY): requirements.lock pyproject.toml $(KATEX)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	# Build matplotlib's font cache now, not as a stray message inside a notebook.
	$(BIN)/python -c "import matplotlib.pyplot"
	touch $@

# KaTeX, which typesets the math at build time (see _ext/build_time_math.py), and axe-core for the
# tests, pinned in package-lock.json; Lighthouse (an optional dependency there, 110 MB) only for
# `make bench`.
$(KATEX): package.json package-lock.json
	npm ci --omit=optional --no-audit --no-fund --loglevel=error
	touch $@
$(LIGHTHOUSE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(KATEX) $@
