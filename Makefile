# gz — build, test, demo, install.  No configure step: libraries come from
# pkg-config where they ship a .pc file (libjq in Debian 12 does not).
#
#   make                 build every tool into bin/
#   make SANITIZE=1      ASan + UBSan build (into build/sanitize, bin/ untouched)
#   make test            install missing packages, build both variants, run every test
#   make demo            install missing packages, build, run the pipeline on demo/
#   make install PREFIX=/usr/local   (make uninstall with the same PREFIX)
#   make deb             a Debian package in build/deb (contrib/deb/build.sh)
#   make bench-list      gz-list against psql \copy on 1,000,000 rows, alone
#   make bench-search    PostgreSQL as the index: gz-index, size, gz-search latency
#   make bench-engines   the PDF engines: poppler workers vs xargs pdftotext
#   make bench-ocr       OCR: pages per second per core, word recovery
#   make lint            banned functions and man page lint
#   make fuzz            libFuzzer targets in fuzz/, FUZZ_SECONDS (60) each

PREFIX  ?= /usr/local
CC      ?= cc
PKGS     = libcurl libpq libmagic zlib libzip libxml-2.0 libcrypto libpcre2-8
TOOLS    = gz-list gz-fetch gz-extract gz-split gz-index gz-search

ifeq ($(SANITIZE),1)
VARIANT  = sanitize
SANFLAGS = -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
else
VARIANT  = release
SANFLAGS = -O2
endif

BUILD    = build/$(VARIANT)

# One version for the tools, their metrics, the ledger and the .deb: what
# `git describe` says of the latest vX.Y.Z tag, else the VERSION file.
# lib/version.c alone sees it; the stamp changes only with the version.
GZ_VERSION := $(shell git describe --tags --match 'v[0-9]*' 2>/dev/null | \
	sed 's/^v//')
ifeq ($(GZ_VERSION),)
GZ_VERSION := $(shell cat VERSION)
endif
VERSION_STAMP = $(BUILD)/version.stamp
$(shell mkdir -p $(BUILD) && \
    [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = '$(GZ_VERSION)' ] || \
    echo '$(GZ_VERSION)' >$(VERSION_STAMP))
$(BUILD)/lib/version.o: $(VERSION_STAMP)
$(BUILD)/lib/version.o: CFLAGS += -DGZ_VERSION='"$(GZ_VERSION)"'
CFLAGS  ?=
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g \
	   $(SANFLAGS) -Ilib $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ljq -lm
# C++ only where a library has no C API that does the job: gz-extract's
# poppler_text.cc (poppler-cpp).  Same warnings and sanitizers; a tool with
# a .cc file links with $(CXX), and only it links its library.
CXX     ?= c++
CXXFLAGS ?=
CXXFLAGS += -std=c++17 -Wall -Wextra -Werror -g $(SANFLAGS) -Ilib \
	   $(shell pkg-config --cflags poppler-cpp 2>/dev/null)
# gz-extract's OCR (ocr.c): libtesseract's C API, and leptonica for images.
LDLIBS_gz-extract = $(shell pkg-config --libs poppler-cpp tesseract lept \
	2>/dev/null)
$(BUILD)/tools/gz-extract/ocr.o: CFLAGS += $(shell pkg-config --cflags \
	tesseract lept 2>/dev/null)
LDFLAGS += $(SANFLAGS)

LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBGZ    = $(BUILD)/libgz.a
TOOL_BIN = $(TOOLS:%=$(BUILD)/bin/%)
# Test-only programs: each tests/progs/NAME.c links into build/VARIANT/test/NAME.
TEST_BIN = $(patsubst tests/progs/%.c,$(BUILD)/test/%,$(wildcard tests/progs/*.c))

.PHONY: all bin deps test test-release test-sanitize demo install uninstall \
	deb version clean lint bench bench-list bench-search bench-engines bench-ocr \
	check-deps fuzz
.SUFFIXES:
# Keep object files: they are inputs of later links, not throwaway steps.
.SECONDARY:

all: $(TOOL_BIN) $(TEST_BIN)
ifneq ($(SANITIZE),1)
	@mkdir -p bin
	@for t in $(TOOLS); do cp -f $(BUILD)/bin/$$t bin/$$t.tmp && \
	    mv -f bin/$$t.tmp bin/$$t; done
endif

$(BUILD)/%.o: %.c $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.cc $(wildcard lib/*.h tools/*/*.h)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -MMD -MP -c -o $@ $<

$(LIBGZ): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# One folder per tool: every .c (and .cc) under tools/NAME links into
# bin/NAME.
tool_objs = $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/$(1)/*.c)) \
	$(patsubst %.cc,$(BUILD)/%.o,$(wildcard tools/$(1)/*.cc))
tool_ld = $(if $(wildcard tools/$(1)/*.cc),$(CXX),$(CC))
.SECONDEXPANSION:
$(BUILD)/bin/%: $$(call tool_objs,$$*) $(LIBGZ)
	@mkdir -p $(@D)
	$(call tool_ld,$*) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBGZ) \
	    $(LDLIBS_$*) $(LDLIBS)

$(BUILD)/test/%: $(BUILD)/tests/progs/%.o $(LIBGZ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBGZ) $(LDLIBS)

-include $(shell find build -name '*.d' 2>/dev/null)

# Installs what a fresh Debian 12 machine lacks; a no-op when all is there.
deps:
	@sh tests/helpers/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 all
	@sh tests/run-all.sh

test-release: all
	@GZ_VARIANTS=release sh tests/run-all.sh

test-sanitize:
	@$(MAKE) --no-print-directory SANITIZE=1 all
	@GZ_VARIANTS=sanitize sh tests/run-all.sh

demo: deps all
	@sh demo/run.sh

# make bench [QUICK=1]: see bench/run.sh; results in bench/results/latest.md.
bench: all
	@sh bench/install-deps.sh
	@QUICK=$(QUICK) bash bench/run.sh
	@QUICK=$(QUICK) bash bench/engines.sh
	@QUICK=$(QUICK) bash bench/ocr.sh
	@QUICK=$(QUICK) bash bench/search.sh | tee bench/results/search.md

# make bench-engines: the PDF engines alone (bench/engines.sh): gz-extract's
# poppler workers against xargs -P2 pdftotext; bench/results/engines.md.
bench-engines: all
	@sh bench/install-deps.sh
	@QUICK=$(QUICK) bash bench/engines.sh

# OCR alone: scans made from typed text; bench/results/ocr.md.
bench-ocr: all
	@sh bench/install-deps.sh
	@QUICK=$(QUICK) bash bench/ocr.sh

# make bench-search: PostgreSQL as the index alone (bench/search.sh); its
# report in bench/results/search.md.
bench-search: all
	@sh bench/install-deps.sh
	@mkdir -p bench/results
	@QUICK=$(QUICK) bash bench/search.sh | tee bench/results/search.md

# make bench-list: the listing row of make bench alone (bench/list-copy.sh).
bench-list: all
	@sh bench/install-deps.sh
	@bash bench/list-copy.sh

lint:
	@! grep -nE '\b(system|popen|sprintf|strcpy|strcat|atoi|strtok)\(' \
	    lib/*.c lib/*.h tools/*/*.c || { echo "lint: banned function" >&2; exit 1; }
	@! grep -n 'records_failed *\(++\|+=\)' tools/*/*.c || { echo "lint:" \
	    "lib/rec counts failed records (rec_set_error, rec_bad_line);" \
	    "counting them again here counts them twice" >&2; exit 1; }
	@mandoc -Tlint -Wwarning man/* && echo "lint: ok"

# What make install puts under PREFIX, besides the tools and man pages: the
# bash completion (one name per command) and contrib/ as examples in
# share/gz.  make uninstall removes exactly these.
COMPLETIONS = $(TOOLS) gz-pipeline
SHARE_GZ    = grafana/gz.json grafana/provisioning.yml \
	      prometheus/gz-rules.yml prometheus/gz-rules.test.yml \
	      systemd/gz-worker@.service systemd/gz-worker@.timer \
	      systemd/gz-backlog.service systemd/gz-backlog.timer \
	      cron/gz kubernetes/gz-backlog-job.yaml kubernetes/gz-shards-job.yaml

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man7 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(TOOLS:%=bin/%) bin/gz-pipeline $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 man/gz.7 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 644 contrib/bash-completion/gz \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gz-pipeline
	for t in $(TOOLS); do ln -sf gz-pipeline \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t; done
	for f in $(SHARE_GZ); do \
	    install -d $(DESTDIR)$(PREFIX)/share/gz/$${f%/*} && \
	    install -m 644 contrib/$$f $(DESTDIR)$(PREFIX)/share/gz/$$f || exit 1; \
	done

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%) \
	    $(DESTDIR)$(PREFIX)/bin/gz-pipeline \
	    $(patsubst man/%,$(DESTDIR)$(PREFIX)/share/man/man1/%,$(wildcard man/*.1)) \
	    $(DESTDIR)$(PREFIX)/share/man/man7/gz.7 \
	    $(COMPLETIONS:%=$(DESTDIR)$(PREFIX)/share/bash-completion/completions/%) \
	    $(SHARE_GZ:%=$(DESTDIR)$(PREFIX)/share/gz/%)
	for d in $(sort $(dir $(SHARE_GZ))); do \
	    rmdir $(DESTDIR)$(PREFIX)/share/gz/$$d 2>/dev/null; done; \
	    rmdir $(DESTDIR)$(PREFIX)/share/gz 2>/dev/null; true

# make -s version: the version string the tools are built with.
version:
	@echo '$(GZ_VERSION)'

# make deb: DEB_DIR/gz_VERSION_ARCH.deb, built by contrib/deb/build.sh
# with dpkg-deb from a make install into a staging root.
DEB_DIR ?= build/deb
deb: all
	@sh contrib/deb/build.sh '$(GZ_VERSION)' '$(DEB_DIR)'

clean:
	rm -rf build $(TOOLS:%=bin/%)

# libFuzzer targets (clang only), built apart in build/fuzz: each fuzz/NAME.c
# links with the objects FUZZ_OBJ_NAME lists, compiled again with coverage
# instrumentation and ASan+UBSan.  New inputs go to build/fuzz/corpus/NAME,
# crashes to build/fuzz/crashes/NAME; the seeds in fuzz/corpus stay as they are.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD    = build/fuzz
FUZZ_TARGETS  = $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))
FUZZ_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -g \
		-O1 -fno-omit-frame-pointer -fno-sanitize-recover=all \
		-fsanitize=fuzzer-no-link,address,undefined -Ifuzz -Ilib \
		-Itools/gz-index
# lib/xalloc reports through lib/log: every target that allocates links both.
FUZZ_OBJ_xalloc    = lib/xalloc.o lib/log.o lib/stats.o
FUZZ_OBJ_ndjson    = lib/ndjson.o lib/text.o $(FUZZ_OBJ_xalloc)
FUZZ_LDFLAGS_ndjson = -Wl,--wrap=read
FUZZ_OBJ_textclean = lib/textclean.o lib/text.o
FUZZ_OBJ_response  = tools/gz-index/response.o
FUZZ_OBJ_spill     = tools/gz-index/spill.o lib/text.o
# Every stage's record intake, with what those objects call.
FUZZ_OBJ_records   = tools/gz-fetch/source.o tools/gz-extract/intake.o \
		     tools/gz-index/doc.o tools/gz-index/ledger.o \
		     tools/gz-index/segment.o \
		     tools/gz-index/spill.o lib/rec.o lib/log.o lib/stats.o \
		     lib/progress.o lib/metrics.o \
		     lib/config.o lib/ndjson.o lib/text.o lib/s3.o lib/digest.o \
		     lib/retry.o lib/sig.o tools/gz-fetch/spool.o \
		     lib/ndjson_writer.o lib/spool.o lib/version.o lib/xalloc.o
$(FUZZ_BUILD)/lib/version.o: FUZZ_CFLAGS += -DGZ_VERSION='"$(GZ_VERSION)"'
FUZZ_LIBS_records  = -lcurl -lcrypto -lz
$(FUZZ_BUILD)/fuzz/records.o: FUZZ_CFLAGS += -Itools/gz-fetch -Itools/gz-extract
# 7-byte reads put chunk boundaries inside escapes and UTF-8 sequences.
$(FUZZ_BUILD)/tools/gz-index/spill.o: FUZZ_CFLAGS += -DSPILL_CHUNK=7

$(FUZZ_BUILD)/%.o: %.c $(wildcard fuzz/*.h lib/*.h tools/gz-index/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/bin/%: $(FUZZ_BUILD)/fuzz/%.o \
    $$(addprefix $(FUZZ_BUILD)/,$$(FUZZ_OBJ_$$*))
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(FUZZ_LDFLAGS_$*) \
	    -o $@ $^ $(FUZZ_LIBS_$*) -ljq -lm

fuzz: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/bin/%)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crashes/$$t && \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s" && \
	    $(FUZZ_BUILD)/bin/$$t -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 \
		-artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ $(FUZZ_FLAGS) \
		$(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t \
		2>$(FUZZ_BUILD)/$$t.log; \
	    rc=$$?; grep -E '^(stat::|Done|==|SUMMARY)' $(FUZZ_BUILD)/$$t.log; \
	    [ $$rc -eq 0 ] || { tail -n 40 $(FUZZ_BUILD)/$$t.log; \
		echo "fuzz: $$t failed ($$rc); inputs in" \
		    "$(FUZZ_BUILD)/crashes/$$t" >&2; exit 1; }; \
	done
