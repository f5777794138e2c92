# Tessera: `make` builds build/tessera.iso; `make run`, `make test`,
# `make bench`, `make debug`. Each does its own set-up (tools/setup.sh).

BUILD := build
CC := gcc
LD := ld
OBJCOPY := objcopy
NM := nm
PYTHON := python3

ISO := $(BUILD)/tessera.iso
KERNEL := $(BUILD)/kernel/kernel.elf
SETUP_STAMP := $(BUILD)/.setup-done

.PHONY: all run test bench debug clean setup host-tests fuzz install-images
.DELETE_ON_ERROR:
.SECONDARY:
all: $(ISO)

# ---- set-up: Debian packages and a tool check, once per package list ----
$(SETUP_STAMP): tools/setup.sh tools/check-tools.sh
	@BUILD_DIR=$(BUILD) CC=$(CC) LD=$(LD) OBJCOPY=$(OBJCOPY) NM=$(NM) PYTHON=$(PYTHON) bash tools/setup.sh
setup: $(SETUP_STAMP)

GCC_INCLUDE = $(shell $(CC) -print-file-name=include)
COMMON_FLAGS := -std=gnu11 -g -O2 -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration -fno-pic -fno-pie \
    -fno-stack-protector -fno-omit-frame-pointer -ffreestanding -nostdinc \
    -I kernel/abi -I libs/common/include

# ---- kernel ----
KERNEL_CFLAGS := $(COMMON_FLAGS) -isystem $(GCC_INCLUDE) -mcmodel=kernel -mno-red-zone \
    -mgeneral-regs-only -fno-optimize-sibling-calls -fno-asynchronous-unwind-tables
KERNEL_SRCS := $(wildcard kernel/core/*.c) $(wildcard kernel/arch/x64/*.c) \
    $(wildcard kernel/arch/x64/*.S) $(wildcard libs/common/*.c)
KERNEL_OBJS := $(patsubst %,$(BUILD)/kernel/%.o,$(KERNEL_SRCS))

$(BUILD)/kernel/%.c.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/kernel/%.S.o: %.S | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

# Two links: the first gives the addresses for the symbol table, which the
# second puts between .data and .bss, where it moves no function.
KLD := $(LD) -n -nostdlib -z max-page-size=4096 --no-warn-rwx-segments -T kernel/arch/x64/kernel.ld
$(BUILD)/kernel/ksyms0.S: tools/gensyms.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/gensyms.py < /dev/null > $@
$(BUILD)/kernel/kernel.pass1: $(KERNEL_OBJS) $(BUILD)/kernel/ksyms0.o kernel/arch/x64/kernel.ld
	@$(KLD) -o $@ $(KERNEL_OBJS) $(BUILD)/kernel/ksyms0.o
$(BUILD)/kernel/ksyms.S: $(BUILD)/kernel/kernel.pass1 tools/gensyms.py
	$(NM) -n --defined-only $< | $(PYTHON) tools/gensyms.py > $@
$(BUILD)/kernel/%.o: $(BUILD)/kernel/%.S
	@$(CC) $(KERNEL_CFLAGS) -c $< -o $@
$(KERNEL): $(BUILD)/kernel/kernel.pass1 $(BUILD)/kernel/ksyms.o
	@echo '  LD      $@'
	@$(KLD) -o $@ $(KERNEL_OBJS) $(BUILD)/kernel/ksyms.o
	@$(NM) -n $(BUILD)/kernel/kernel.pass1 | grep -i ' t ' > $(BUILD)/kernel/text1.sym
	@$(NM) -n $@ | grep -i ' t ' > $(BUILD)/kernel/text2.sym
	@cmp -s $(BUILD)/kernel/text1.sym $(BUILD)/kernel/text2.sym || \
	    { echo "kernel: the symbol table moved code; check kernel.ld"; rm -f $@; exit 1; }

# ---- user space ----
USER_CFLAGS := $(COMMON_FLAGS) -isystem $(GCC_INCLUDE) -I libs/tessera/include -I libs/driver/include -I $(BUILD)/gen \
    -fno-asynchronous-unwind-tables
USER_LDFLAGS := -static -nostdlib -no-pie -Wl,--build-id=none -z max-page-size=4096 -T libs/tessera/user.ld
LIBGCC = $(shell $(CC) -print-libgcc-file-name)

# Interfaces: every .idl becomes one generated header under build/gen/idl/.
IDL_FILES := $(wildcard servers/*/*.idl) $(wildcard libs/*/*.idl) $(wildcard tests/*/*.idl)
IDL_HEADERS := $(patsubst %.idl,$(BUILD)/gen/idl/%.h,$(notdir $(IDL_FILES)))
vpath %.idl $(sort $(dir $(IDL_FILES)))
$(BUILD)/gen/idl/%.h: %.idl tools/idlgen.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/idlgen.py $< -o $@

# libtessera.a: what every program may use (system calls, IDL runtime, spawning,
# logging, tar/ELF/format). libtessera-rt.a: start-up and the C string
# functions for programs without musl, which brings its own.
USER_RT_SRCS := libs/tessera/crt0.S libs/tessera/start.c libs/common/string.c
USER_LIB_SRCS := $(filter-out $(USER_RT_SRCS),$(wildcard libs/tessera/*.c) $(wildcard libs/tessera/*.S) \
    $(wildcard libs/common/*.c))
USER_LIB_OBJS := $(patsubst %,$(BUILD)/user/%.o,$(USER_LIB_SRCS))
USER_RT_OBJS := $(patsubst %,$(BUILD)/user/%.o,$(USER_RT_SRCS))
$(BUILD)/user/%.c.o: %.c $(IDL_HEADERS) | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/user/%.S.o: %.S | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/user/libtessera.a: $(USER_LIB_OBJS)
	@rm -f $@ && ar rcs $@ $^
$(BUILD)/user/libtessera-rt.a: $(USER_RT_OBJS)
	@rm -f $@ && ar rcs $@ $^
# libdriver.a: the driver SDK (libs/driver/include/driver/driver.h).
DRIVER_LIB_OBJS := $(patsubst %,$(BUILD)/user/%.o,$(wildcard libs/driver/*.c))
$(BUILD)/user/libdriver.a: $(DRIVER_LIB_OBJS)
	@rm -f $@ && ar rcs $@ $^

# The POSIX glue that musl-based programs link (see libs/posix/README.md).
POSIX_OBJS := $(patsubst %,$(BUILD)/user/%.o,$(wildcard libs/posix/*.c))
$(BUILD)/user/libposix.a: $(POSIX_OBJS)
	rm -f $@ && ar rcs $@ $^

# A program is every .c in its directory: servers/NAME, apps/NAME, tests/NAME.
PROGRAM_DIRS := servers/init servers/bootfs servers/sched servers/vm tests/ktest tests/fstest tests/vmtest tests/schedtest servers/ps2 servers/rtc tests/inputtest
# Device drivers and their tests (built once they have sources).
PROGRAM_DIRS += $(foreach d,servers/dm servers/virtio_gpu servers/ahci servers/fbdev servers/nvme tests/gputest tests/dmtest servers/virtio_blk tests/blktest,$(if $(wildcard $(d)/*.c),$(d)))
# The FAT server (servers/fatfs) also links libs/fat and libs/gpt.
PROGRAM_DIRS += servers/fatfs
FATFS_LIB_OBJS := $(BUILD)/user/libs/fat/fat.c.o $(BUILD)/user/libs/gpt/gpt.c.o
$(BUILD)/bootfs/servers/fatfs: $(FATFS_LIB_OBJS)
$(BUILD)/user/servers/fatfs/%.c.o: USER_CFLAGS += -I libs/fat/include -I libs/gpt/include
$(FATFS_LIB_OBJS): USER_CFLAGS += -I libs/fat/include -I libs/gpt/include
define program
$(BUILD)/bootfs/$(1): $(patsubst %,$(BUILD)/user/%.o,$(wildcard $(1)/*.c)) $(BUILD)/user/libtessera.a \
        $(BUILD)/user/libtessera-rt.a $(BUILD)/user/libdriver.a libs/tessera/user.ld
	@mkdir -p $$(dir $$@)
	@echo '  LD      $$@'
	@$(CC) $(USER_LDFLAGS) -o $$@ $$(filter %.o,$$^) -Wl,--start-group $(BUILD)/user/libdriver.a \
	    $(BUILD)/user/libtessera.a $(BUILD)/user/libtessera-rt.a -Wl,--end-group $(LIBGCC)
endef
$(foreach d,$(PROGRAM_DIRS),$(eval $(call program,$(d))))
PROGRAMS := $(patsubst %,$(BUILD)/bootfs/%,$(PROGRAM_DIRS))

# ---- boot archive and ISO ----
BOOTFS_FILES := $(PROGRAMS) $(BUILD)/bootfs/etc/boot.conf $(BUILD)/bootfs/etc/boot-dmtest.conf
$(BUILD)/bootfs/etc/boot.conf: servers/init/boot.conf
	@mkdir -p $(dir $@)
	cp $< $@
# The same with dm's test drivers on (init.conf=etc/boot-dmtest.conf; tests/qemu/test_dm.py).
$(BUILD)/bootfs/etc/boot-dmtest.conf: servers/init/boot.conf
	@mkdir -p $(dir $@)
	sed 's|^service dm servers/dm |service dm servers/dm test_driver |' $< > $@
# The install procedure (libs/install over libs/gpt and libs/fat), built into
# apps/installer with the disk list, and into tools/mkdisk. sysroot.mk's app
# rule adds APP_SRCS_NAME, APP_DEPS_NAME and APP_CFLAGS_NAME for an app.
INSTALL_LIB_SRCS := $(wildcard libs/install/*.c) libs/gpt/gpt.c libs/fat/fat.c
INSTALL_LIB_HDRS := $(wildcard libs/install/*.h libs/install/include/install/*.h libs/gpt/include/gpt/*.h libs/fat/include/fat/*.h)
APP_SRCS_installer := $(INSTALL_LIB_SRCS) libs/driver/disks.c
APP_DEPS_installer := $(INSTALL_LIB_HDRS) libs/driver/include/driver/driver.h
APP_CFLAGS_installer := -I libs/install/include -I libs/gpt/include -I libs/fat/include
include sysroot/sysroot.mk
BOOTFS_FILES += $(CAIRO_BOOTFS_FILES)

# What the installer writes to a disk (apps/installer): GRUB's images, the
# installed boot menu, the kernel, and install/boot.tar, an empty placeholder
# that bootfs serves as the running archive itself.
INSTALL_PAYLOAD := $(patsubst %,$(BUILD)/bootfs/install/%,boot.img core.img BOOTX64.EFI grub.cfg tessera.elf boot.tar)
BOOTFS_FILES += $(INSTALL_PAYLOAD)
$(BUILD)/bootfs/install/%: $(BUILD)/install/%
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/bootfs/install/grub.cfg: iso/install/grub.cfg
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/bootfs/install/tessera.elf: $(KERNEL)
	@mkdir -p $(dir $@)
	cp $< $@
$(BUILD)/bootfs/install/boot.tar:
	@mkdir -p $(dir $@)
	: > $@

$(BUILD)/boot.tar: $(BOOTFS_FILES)
	cd $(BUILD)/bootfs && tar --format=ustar --owner=0 --group=0 --numeric-owner \
	    --sort=name --mtime=@0 -cf ../boot.tar .
$(ISO): $(KERNEL) $(BUILD)/boot.tar iso/grub.cfg $(BUILD)/user/libposix.a
	@mkdir -p $(BUILD)/iso/boot/grub
	cp iso/grub.cfg $(BUILD)/iso/boot/grub/grub.cfg
	cp $(KERNEL) $(BUILD)/iso/boot/tessera.elf
	cp $(BUILD)/boot.tar $(BUILD)/iso/boot/boot.tar
	grub-mkrescue -o $@ $(BUILD)/iso 2> $(BUILD)/grub-mkrescue.log || \
	    { cat $(BUILD)/grub-mkrescue.log; exit 1; }

# ---- installed-disk boot images (issue 7): GRUB for BIOS (boot.img in the
# MBR, core.img in the BIOS boot partition) and UEFI (\EFI\BOOT\BOOTX64.EFI).
# Both embed iso/install/early.cfg, which finds the system partition by label.
INSTALL_GRUB_MODULES := part_gpt fat normal configfile search search_label search_fs_uuid \
    multiboot2 all_video echo test boot
INSTALL_IMAGES := $(BUILD)/install/boot.img $(BUILD)/install/core.img $(BUILD)/install/BOOTX64.EFI
$(BUILD)/install/boot.img: | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	cp /usr/lib/grub/i386-pc/boot.img $@
$(BUILD)/install/core.img: iso/install/early.cfg | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	grub-mkimage -O i386-pc -o $@ -c $< -p /boot/grub biosdisk $(INSTALL_GRUB_MODULES)
$(BUILD)/install/BOOTX64.EFI: iso/install/early.cfg | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	grub-mkimage -O x86_64-efi -o $@ -c $< -p /boot/grub efi_gop $(INSTALL_GRUB_MODULES)
# The host tool that writes a bootable disk image (tests/qemu/test_install_image.py).
# It runs the installer's own procedure (libs/install).
$(BUILD)/install/mkdisk: tools/mkdisk.c $(INSTALL_LIB_SRCS) libs/common/format.c libs/common/tar.c $(INSTALL_LIB_HDRS)
	@mkdir -p $(dir $@)
	@echo '  HOSTCC  $@'
	@$(CC) -std=gnu11 -g -O2 -Wall -I libs/common/include -I libs/install/include -I libs/gpt/include -I libs/fat/include \
	    -o $@ $(filter %.c,$^)
install-images: $(INSTALL_IMAGES) $(BUILD)/install/mkdisk

# ---- host unit tests (ASan + UBSan) ----
HOST_CFLAGS := -std=gnu11 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
    -fno-omit-frame-pointer -DCOMMON_HOST_TEST -Wall -Wno-unused-function \
    -I kernel/abi -I libs/common/include -I libs/tessera/include -I libs/libui/include -I libs/fat/include -I libs/gpt/include -I libs/install/include -I tests/host \
    -I $(BUILD)/gen/host
HOST_COMMON := $(filter-out libs/common/string.c,$(wildcard libs/common/*.c))
HOST_TESTS := $(patsubst tests/host/%.c,$(BUILD)/host/%,$(wildcard tests/host/test_*.c))
HOST_IDL := $(patsubst tests/host/idl/%.idl,$(BUILD)/gen/host/%.h,$(wildcard tests/host/idl/*.idl))
$(BUILD)/gen/host/%.h: tests/host/idl/%.idl tools/idlgen.py
	@mkdir -p $(dir $@)
	$(PYTHON) tools/idlgen.py $< -o $@
# Kernel sources a host test exercises are named in its "// host-test-uses:" line.
HOST_TESTED_SRCS := $(wildcard kernel/core/*.[ch] servers/*/*.[ch] libs/*/*.[ch] apps/*/*.[ch])
$(BUILD)/host/%: tests/host/%.c $(HOST_COMMON) $(HOST_IDL) $(wildcard tests/host/*.h) $(HOST_TESTED_SRCS) | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo '  HOSTCC  $@'
	@$(CC) $(HOST_CFLAGS) -o $@ $< $(HOST_COMMON) \
	    $(shell sed -n 's|^// host-test-uses: *||p' $<)
$(BUILD)/host/test_idlgen_errors: tests/host/test_idlgen_errors.sh tools/idlgen.py $(wildcard tests/host/idl/bad/*.idl)
	@mkdir -p $(dir $@)
	cp $< $@
HOST_TESTS += $(BUILD)/host/test_idlgen_errors
# The Cairo proof program built for Linux against the same sysroot.
$(BUILD)/host/test_cairo_host: tests/cairo/check-host.sh $(BUILD)/cairo/render-host \
        $(BUILD)/cairo/render-host-userld $(BUILD)/cairo/reference.txt $(CAIRO_BOOTFS_FILES)
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec bash %s %s\n' "$(CURDIR)/tests/cairo/check-host.sh" "$(CURDIR)/$(BUILD)" > $@
	@chmod +x $@
HOST_TESTS += $(BUILD)/host/test_cairo_host
# The gui's renderer on Linux (tests/gui-render): measuring, wrapping, carets,
# hostile trees, every node kind drawn in every theme.
$(BUILD)/host/test_gui_render: $(BUILD)/gui-render/render-check $(wildcard themes/*.theme)
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nout=$$(mktemp -d) && trap "rm -rf $$out" EXIT\nif "%s" %s %s "$$out" >&2; then echo "PASS gui_render:checks"; else echo "FAIL gui_render:checks: render-check failed (see its output)"; exit 1; fi\n' \
	    "$(CURDIR)/$(BUILD)/gui-render/render-check" "$(dir $(DEJAVU))" "$(CURDIR)/themes" > $@
	@chmod +x $@
HOST_TESTS += $(BUILD)/host/test_gui_render
# The content-tree decoder under libFuzzer (clang 14): a bounded run in
# `make test` from the seed corpus tests/fuzz/gen_corpus.py writes into
# build/fuzz/corpus; `make fuzz` runs longer.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DCOMMON_HOST_TEST \
    -I kernel/abi -I libs/common/include -I libs/tessera/include -I libs/libui/include
FUZZ_SRCS := tests/fuzz/fuzz_tree.c servers/gui/tree.c servers/gui/layout.c servers/gui/diff.c servers/gui/theme.c \
    libs/common/utf8.c
$(BUILD)/fuzz/fuzz_tree: $(FUZZ_SRCS) $(wildcard servers/gui/*.h libs/libui/include/ui/*.h) | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo '  FUZZCC  $@'
	@clang-14 $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)
$(BUILD)/host/test_fuzz_tree: tests/fuzz/run.sh $(BUILD)/fuzz/fuzz_tree
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec bash %s %s 20\n' "$(CURDIR)/tests/fuzz/run.sh" "$(CURDIR)/$(BUILD)" > $@
	@chmod +x $@
HOST_TESTS += $(if $(wildcard tests/fuzz/fuzz_tree.c),$(BUILD)/host/test_fuzz_tree)
host-tests: $(HOST_TESTS)
fuzz: $(BUILD)/fuzz/fuzz_tree
	bash tests/fuzz/run.sh $(BUILD) 600

# ---- the two commands ----
run: $(ISO)
	@bash tools/run.sh
debug: $(ISO)
	@bash tools/run.sh --debug
test: $(ISO) host-tests install-images
	$(PYTHON) tests/run.py
bench: $(ISO)
	$(PYTHON) tools/bench.py

clean:
	rm -rf $(BUILD)/kernel $(BUILD)/user $(BUILD)/bootfs $(BUILD)/iso $(BUILD)/host $(BUILD)/gen $(BUILD)/cairo \
	    $(BUILD)/boot.tar $(BUILD)/libui $(BUILD)/fuzz $(BUILD)/install $(ISO)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
