# The user-space C library and graphics stack (sysroot/build.sh) and the
# Cairo proof test (tests/cairo/). Included by the top-level Makefile, which
# defines BUILD, PYTHON and SETUP_STAMP; include it before the boot archive
# rule and add $(CAIRO_BOOTFS_FILES) to BOOTFS_FILES.

SYSROOT_STAMP := $(BUILD)/sysroot/.stamp
TESSERA_CC := $(BUILD)/sysroot/bin/tessera-cc
SYSROOT_RECIPE := sysroot/build.sh sysroot/versions.txt sysroot/tessera-cc.in \
    sysroot/host-glue.c $(shell find sysroot/musl -type f)
CAIRO_LIBS := -lcairo -lpixman-1 -lfreetype -lpng16 -lz -lm
CAIRO_CFLAGS := -O2 -Wall -Wextra
DEJAVU := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

CAIRO_FONT := $(BUILD)/bootfs/fonts/DejaVuSans.ttf
CAIRO_PNG := $(BUILD)/bootfs/data/cairo-test.png
CAIRO_BAD_PNG := $(BUILD)/bootfs/data/cairo-corrupt.png
CAIRO_BOOTFS_FILES := $(BUILD)/bootfs/tests/cairo-render $(CAIRO_FONT) $(CAIRO_PNG) $(CAIRO_BAD_PNG) \
    $(BUILD)/bootfs/tests/posixtest $(BUILD)/bootfs/servers/gui

.PHONY: sysroot cairo-host-check

# build.sh itself decides whether anything needs doing (a hash of the recipe).
$(SYSROOT_STAMP): $(SYSROOT_RECIPE) | $(SETUP_STAMP)
	@bash sysroot/build.sh $(BUILD)
sysroot: $(SYSROOT_STAMP)

# The proof test for Tessera (musl + libposix) ...
$(BUILD)/bootfs/tests/cairo-render: tests/cairo/render.c $(SYSROOT_STAMP) \
        $(BUILD)/user/libposix.a $(BUILD)/user/libtessera.a libs/tessera/user.ld
	@mkdir -p $(dir $@)
	@echo '  CC      $@'
	@$(TESSERA_CC) $(CAIRO_CFLAGS) -o $@ $< $(CAIRO_LIBS)

# An ordinary POSIX program on musl + libposix (tests/posixtest).
$(BUILD)/bootfs/tests/posixtest: tests/posixtest/posixtest.c $(SYSROOT_STAMP) \
        $(BUILD)/user/libposix.a $(BUILD)/user/libtessera.a libs/tessera/user.ld
	@mkdir -p $(dir $@)
	@echo '  CC      $@'
	@$(TESSERA_CC) $(CAIRO_CFLAGS) -o $@ $<

# Programs on musl + Cairo that also use Tessera's own interfaces (IDL stubs,
# the driver headers): servers/gui.
TESSERA_APP_CFLAGS := $(CAIRO_CFLAGS) -I kernel/abi -I libs/tessera/include -I libs/driver/include -I $(BUILD)/gen
$(BUILD)/bootfs/servers/gui: $(wildcard servers/gui/*.c) $(IDL_HEADERS) $(SYSROOT_STAMP) \
        $(BUILD)/user/libposix.a $(BUILD)/user/libtessera.a libs/tessera/user.ld
	@mkdir -p $(dir $@)
	@echo '  CC      $@'
	@$(TESSERA_CC) $(TESSERA_APP_CFLAGS) -o $@ $(filter %.c,$^) $(CAIRO_LIBS)

# ... and the same source and libraries for Linux: its output is the reference.
$(BUILD)/cairo/render-host: tests/cairo/render.c $(SYSROOT_STAMP)
	@mkdir -p $(dir $@)
	@echo '  HOSTCC  $@'
	@$(TESSERA_CC) --tessera-host $(CAIRO_CFLAGS) -o $@ $< $(CAIRO_LIBS)

# The Linux build again, laid out by Tessera's linker script: checks on the
# host that programs linked with user.ld start up as they should.
$(BUILD)/cairo/render-host-userld: tests/cairo/render.c $(SYSROOT_STAMP) libs/tessera/user.ld
	@mkdir -p $(dir $@)
	@echo '  HOSTCC  $@'
	@$(TESSERA_CC) --tessera-host $(CAIRO_CFLAGS) -Wl,-T,libs/tessera/user.ld \
	    -Wl,--build-id=none -Wl,-z,max-page-size=4096 -o $@ $< $(CAIRO_LIBS)

$(BUILD)/cairo/reference.txt: $(BUILD)/cairo/render-host $(CAIRO_FONT) $(CAIRO_PNG)
	$< $(CAIRO_FONT) $(CAIRO_PNG) > $@.tmp && mv $@.tmp $@

# Debian's fonts-dejavu-core (tools/setup.sh installs it).
$(CAIRO_FONT): $(wildcard $(DEJAVU)) | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@test -f $(DEJAVU) || { echo "$(DEJAVU) is missing: install fonts-dejavu-core"; exit 1; }
	cp $(DEJAVU) $@

$(CAIRO_PNG) $(CAIRO_BAD_PNG) &: tests/cairo/mkpng.py
	$(PYTHON) tests/cairo/mkpng.py $(dir $(CAIRO_PNG))

cairo-host-check: $(BUILD)/cairo/render-host $(BUILD)/cairo/render-host-userld \
        $(BUILD)/cairo/reference.txt $(CAIRO_FONT) $(CAIRO_PNG) $(CAIRO_BAD_PNG)
	@bash tests/cairo/check-host.sh $(BUILD)
