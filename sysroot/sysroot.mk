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
# the driver headers, libui's wire format): servers/gui.
TESSERA_APP_CFLAGS := $(CAIRO_CFLAGS) -I kernel/abi -I libs/common/include -I libs/tessera/include \
    -I libs/driver/include -I $(BUILD)/gen -I libs/libui/include
$(BUILD)/bootfs/servers/gui: $(wildcard servers/gui/*.c) $(IDL_HEADERS) $(SYSROOT_STAMP) \
        $(BUILD)/user/libposix.a $(BUILD)/user/libtessera.a libs/tessera/user.ld
	@mkdir -p $(dir $@)
	@echo '  CC      $@'
	@$(TESSERA_CC) $(TESSERA_APP_CFLAGS) -o $@ $(filter %.c,$^) $(CAIRO_LIBS)

# The gui server's protocol tested from an app's side (test=guitest).
$(BUILD)/bootfs/tests/guitest: $(wildcard tests/guitest/*.c) tests/guest_test.h $(IDL_HEADERS) $(SYSROOT_STAMP) \
        $(BUILD)/user/libposix.a $(BUILD)/user/libtessera.a libs/tessera/user.ld
	@mkdir -p $(dir $@)
	@echo '  CC      $@'
	@$(TESSERA_CC) $(TESSERA_APP_CFLAGS) -I tests -o $@ $(filter %.c,$^)
CAIRO_BOOTFS_FILES += $(BUILD)/bootfs/tests/guitest

# ---- libui and the apps (musl, no Cairo: apps never draw pixels) ----
# Each apps/NAME becomes /apps/NAME/ in the boot archive: the program NAME,
# app.conf (its name in the start menu) and icon.png (from icon.txt).
LIBUI_OBJS := $(patsubst libs/libui/%.c,$(BUILD)/libui/%.o,$(wildcard libs/libui/*.c))
$(BUILD)/libui/%.o: libs/libui/%.c $(wildcard libs/libui/*.h libs/libui/include/*.h libs/libui/include/ui/*.h) \
        $(IDL_HEADERS) $(SYSROOT_STAMP)
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(TESSERA_CC) $(TESSERA_APP_CFLAGS) -c -o $@ $<
$(BUILD)/user/libui.a: $(LIBUI_OBJS)
	@rm -f $@ && ar rcs $@ $^
APP_DIRS := $(patsubst %/,%,$(dir $(wildcard apps/*/app.conf)))
APP_NAMES := $(notdir $(APP_DIRS))
define app
$(BUILD)/bootfs/apps/$(1)/$(1): $(wildcard apps/$(1)/*.c apps/$(1)/*.h) $(APP_SRCS_$(1)) $(APP_DEPS_$(1)) \
        $(BUILD)/user/libui.a $(IDL_HEADERS) $(SYSROOT_STAMP) $(BUILD)/user/libposix.a $(BUILD)/user/libtessera.a \
        libs/tessera/user.ld
	@mkdir -p $$(dir $$@)
	@echo '  CC      $$@'
	@$(TESSERA_CC) $(TESSERA_APP_CFLAGS) $(APP_CFLAGS_$(1)) -o $$@ $$(filter %.c,$$^) $(BUILD)/user/libui.a
$(BUILD)/bootfs/apps/$(1)/app.conf: apps/$(1)/app.conf
	@mkdir -p $$(dir $$@)
	cp $$< $$@
$(BUILD)/bootfs/apps/$(1)/icon.png: apps/$(1)/icon.txt tools/mkicon.py
	@mkdir -p $$(dir $$@)
	$(PYTHON) tools/mkicon.py $$< $$@
endef
$(foreach a,$(APP_NAMES),$(eval $(call app,$(a))))
APP_FILES := $(foreach a,$(APP_NAMES),$(BUILD)/bootfs/apps/$(a)/$(a) $(BUILD)/bootfs/apps/$(a)/app.conf \
    $(BUILD)/bootfs/apps/$(a)/icon.png)

# Every widget in one window, for the screenshot tests and docs/libui.md.
$(BUILD)/bootfs/tests/uigallery: $(wildcard tests/uigallery/*.c) $(BUILD)/user/libui.a $(IDL_HEADERS) \
        $(SYSROOT_STAMP) $(BUILD)/user/libposix.a $(BUILD)/user/libtessera.a libs/tessera/user.ld
	@mkdir -p $(dir $@)
	@echo '  CC      $@'
	@$(TESSERA_CC) $(TESSERA_APP_CFLAGS) -o $@ $(filter %.c,$^) $(BUILD)/user/libui.a
APP_FILES += $(BUILD)/bootfs/tests/uigallery

# Themes and the other fonts the desktop uses (Debian's fonts-dejavu-core).
THEME_FILES := $(patsubst themes/%,$(BUILD)/bootfs/themes/%,$(wildcard themes/*.theme themes/*.png))
$(BUILD)/bootfs/themes/%: themes/%
	@mkdir -p $(dir $@)
	cp $< $@
GUI_FONTS := $(BUILD)/bootfs/fonts/DejaVuSans-Bold.ttf $(BUILD)/bootfs/fonts/DejaVuSansMono.ttf
$(BUILD)/bootfs/fonts/DejaVuSans%.ttf: | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	cp /usr/share/fonts/truetype/dejavu/$(notdir $@) $@
CAIRO_BOOTFS_FILES += $(APP_FILES) $(THEME_FILES) $(GUI_FONTS)

# ... and the same source and libraries for Linux: its output is the reference.
$(BUILD)/cairo/render-host: tests/cairo/render.c $(SYSROOT_STAMP)
	@mkdir -p $(dir $@)
	@echo '  HOSTCC  $@'
	@$(TESSERA_CC) --tessera-host $(CAIRO_CFLAGS) -o $@ $< $(CAIRO_LIBS)

# The gui server's own drawing code (tree decoder, layout, render.c, themes)
# on Linux: sample windows in every theme as PNGs under build/gui-render/,
# to look at and for documentation screenshots (make gui-render).
GUI_RENDER_SRCS := tests/gui-render/render_check.c servers/gui/render.c servers/gui/theme.c servers/gui/tree.c \
    servers/gui/layout.c libs/common/utf8.c
$(BUILD)/gui-render/render-check: $(GUI_RENDER_SRCS) $(wildcard servers/gui/*.h) tests/host/gui_wire_builder.h \
        $(SYSROOT_STAMP)
	@mkdir -p $(dir $@)
	@echo '  HOSTCC  $@'
	@$(TESSERA_CC) --tessera-host $(CAIRO_CFLAGS) -I kernel/abi -I libs/common/include -I libs/tessera/include -I libs/libui/include \
	    -I tests/host -o $@ $(GUI_RENDER_SRCS) $(CAIRO_LIBS)
.PHONY: gui-render
gui-render: $(BUILD)/gui-render/render-check $(wildcard themes/*.theme)
	$< $(dir $(DEJAVU)) themes $(BUILD)/gui-render

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
