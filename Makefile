# lockwatch — see README.md. `make run` and `make test` work on a fresh Debian machine.

GO       ?= go
BIN      := bin/lockwatch
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
export LANG := C.UTF-8
export LANGUAGE := en

# Debian packages the build and the tests need: restic and rclone (a real REST
# server) for the tests, strace (which shows that no lockwatch command signals
# a lock's PID), a C compiler and X/GL headers for Fyne.
# Xvfb, dbus, x11-utils and imagemagick run the tray tests on a private desktop;
# mingw-w64 cross-builds the Windows GUI.
# gnome-keyring (a real Secret Service for the keyring test) comes without its
# Recommends, which would rewrite PAM's config and pull in a systemd session.
# xfce4-panel (a real tray host), dunst (a real notification daemon; its
# dunstctl needs systemd's busctl) and xdotool play the desktop in the tray
# tests, without the rest of Xfce their Recommends would bring.
# wine and wine64 (Debian's Wine 8, 64-bit only) run the Windows build for
# real (platform/winetest; make wine-test runs just those tests).
# prometheus (the server, and promtool) scrapes the service and checks the
# metrics and the alert rules in docs/prometheus.
# lintian, desktop-file-utils, appstream and debootstrap check and install
# the .deb (make package-test); nsis builds the Windows installer.
# fonts-noto-cjk: Fyne draws Chinese and Japanese with the system's fonts;
# locales: localedef makes the Japanese and Chinese locales Wine takes a
# Windows display language from (in a temp dir: the system's stay as they are).
APT_BARE_PACKAGES := gnome-keyring xfce4-panel dunst xdotool systemd wine wine64 prometheus lintian desktop-file-utils appstream debootstrap nsis fonts-noto-cjk locales
APT_PACKAGES := dpkg-dev restic rclone openssh-server strace gcc pkg-config libgl1-mesa-dev xorg-dev xvfb dbus x11-utils imagemagick gcc-mingw-w64-x86-64

# The tests that drive restic run twice: with Debian 12's restic (0.14, from
# apt-get) and with Debian 13's (0.18, fetched by .ci/restic-trixie.sh into
# a cache dir; the system's apt setup stays as it is).
RESTIC_PACKAGES := . ./app/... ./service/...

.PHONY: all build nogui cross windows package package-test mac-app screenshots run demo test test-restic-0.18 test-fresh deps vet fuzz bench-tray bench-watch wine-test clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

# The CLI and daemon without Fyne or cgo.
nogui:
	CGO_ENABLED=0 $(GO) build -tags nogui -ldflags "$(LDFLAGS)" -o $(BIN)-nogui .

# Keep the other OSes' platform code compiling (macOS GUI needs a Mac to build).
cross:
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) build -tags nogui -o bin/lockwatch-windows-amd64.exe .
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) build -tags nogui -o bin/lockwatch-darwin-arm64 .
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) vet -tags nogui ./service/... ./platform/...
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) vet -tags nogui ./service/... ./platform/...

# The full GUI for Windows, cross-built with Debian's mingw-w64 (the first
# build takes several minutes; later ones come from the cache).
windows: deps
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
		$(GO) build -ldflags "$(LDFLAGS) -H=windowsgui" -o bin/lockwatch.exe .

# The installable packages, in dist/: a .deb (packaging/linux: built with
# dpkg-deb from a staging tree; the GUI as a hardened PIE, as lintian
# wants) and the Windows installer (packaging/windows: NSIS, per user).
# The macOS bundle needs a Mac: see mac-app.
PKG_VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
# +git<commit time>.<hash>: later builds sort later, as apt compares them.
DEB_VERSION := $(PKG_VERSION)+git$(shell TZ=UTC git log -1 --date=format-local:%Y%m%d%H%M%S --format=%cd.%h 2>/dev/null || echo 0)
DEB := dist/lockwatch_$(DEB_VERSION)_$(shell dpkg --print-architecture).deb
SETUP := dist/lockwatch-$(PKG_VERSION)-setup.exe
package: deps windows
	mkdir -p dist bin
	$(GO) build -trimpath -buildmode=pie -ldflags "-X main.version=$(DEB_VERSION) -s -w -linkmode=external -extldflags=-Wl,-z,relro,-z,now" -o bin/lockwatch-deb .
	rm -f dist/lockwatch_*.deb
	packaging/linux/build-deb.sh $(DEB_VERSION) bin/lockwatch-deb dist
	convert icons/app.png -define icon:auto-resize=256,64,48,32,16 bin/lockwatch.ico
	makensis -V2 -DVERSION=$(PKG_VERSION) -DEXE=$(CURDIR)/bin/lockwatch.exe -DICON=$(CURDIR)/bin/lockwatch.ico -DOUT=$(CURDIR)/$(SETUP) packaging/windows/lockwatch.nsi
	@ls -l $(DEB) $(SETUP)

# On a Mac only (cgo and Apple's SDK): lockwatch.app, with the Info.plist
# of packaging/darwin (a tray app: LSUIElement; lockwatch:// links).
FYNE := $(shell $(GO) env GOPATH)/bin/fyne
mac-app:
	test -x $(FYNE) || $(GO) install fyne.io/fyne/v2/cmd/fyne@v2.7.1
	$(FYNE) package -os darwin -release
	sed 's/@VERSION@/$(PKG_VERSION)/' packaging/darwin/Info.plist > lockwatch.app/Contents/Info.plist
	mkdir -p dist && rm -rf dist/lockwatch.app && mv lockwatch.app dist/

# Installs the packages for real (as root): the .deb into a fresh Debian 12
# chroot (debootstrap; the system and the downloads are kept in
# /var/cache/lockwatch-test between runs), the installer under Wine.
package-test: package
	LOCKWATCH_DEB=$(CURDIR)/$(DEB) $(GO) test -count=1 -timeout 30m -run TestDebPackage ./packaging/linux/
	LOCKWATCH_SETUP=$(CURDIR)/$(SETUP) $(GO) test -count=1 -timeout 30m -run TestWindowsInstallerUnderWine .

# PNGs of the main window, the settings window and the tray menu as
# xfce4-panel draws it, taken under Xvfb by the
# end-to-end tests (needs root for nothing; see app_tray_integration_test.go).
screenshots: deps
	mkdir -p docs
	LOCKWATCH_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -timeout 30m -run 'TestScreenshots|TestFirstRunOffersWhatOtherToolsKnow|TestRealPanelMenuUnlocks|TestWindowsGUIUnderWine|TestWindowsTrayUnderWine' .

# What the tray costs at rest (wakeups, CPU, RSS of every lockwatch process)
# and how fast its window opens, against the budgets of issue 11. About 2
# minutes; run it on an otherwise idle machine.
# The Windows build under Wine: the Windows builds of platform/ipc's and
# platform/process's tests, and the Windows CLI and service against real
# repositories (about a minute; part of make test too).
wine-test: deps
	$(GO) test -count=1 -timeout 30m -run 'UnderWine' ./platform/... ./app/i18n .

bench-tray: deps
	$(GO) test -count=1 -run '^$$' -bench BenchmarkTrayAtRest -benchtime 1x .

# How soon the service knows that a backup died or a lock appeared (p50/p95
# over LOCKWATCH_BENCH_SAMPLES real restic processes, 20 by default), and
# what its watches cost at rest. Needs root (sftp); about 5 minutes.
bench-watch: deps
	$(GO) test -count=1 -run '^$$' -bench 'KillTo|LockToBusy|WatchAtRest' -benchtime 1x -timeout 30m ./service/daemon

# The app on your config when LOCKWATCH_CONFIG names one, else on the demo
# repository (a real orphaned lock made by `lockwatch demo`). The check is
# printed first; then the tray app starts.
run: deps build
	@cfg="$${LOCKWATCH_CONFIG:-$$($(BIN) demo --quiet)}"; \
	[ -z "$$LOCKWATCH_CONFIG" ] && echo "Using the demo config $$cfg (set LOCKWATCH_CONFIG to use yours)."; \
	$(BIN) --config "$$cfg" check; \
	echo; echo "Starting the tray app (quit it from its menu)…"; \
	$(BIN) --config "$$cfg"

# -timeout: the root package's tests build the Windows GUI once (cgo with
# mingw-w64, several minutes on a cold cache) to run it under Wine.
test: deps vet
	$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) test-restic-0.18
	$(MAKE) fuzz

# demotest.Restic honours LOCKWATCH_TEST_RESTIC; PATH covers the configs
# that name plain "restic". The Wine tests ran in the first pass: restic
# only makes their repositories.
test-restic-0.18: deps
	@r18="$$(.ci/restic-trixie.sh)" && echo "Again with $$("$$r18" version)" && \
	LOCKWATCH_TEST_RESTIC="$$r18" PATH="$$(dirname "$$r18"):$$PATH" $(GO) test -count=1 -timeout 30m -skip 'UnderWine' $(RESTIC_PACKAGES)

# The whole of CI as a new machine runs it: a fresh clone of HEAD, with
# empty HOME, GOPATH, GOMODCACHE and GOCACHE (Go's own toolchain stays),
# and no Debian system bootstrapped yet for the package test.
test-fresh:
	@tmp="$$(mktemp -d /tmp/lockwatch-fresh.XXXXXX)"; \
	trap 'chmod -R u+w "$$tmp" 2>/dev/null; rm -rf "$$tmp"' EXIT; \
	mkdir -p "$$tmp/home" && git clone -q "$(CURDIR)" "$$tmp/src" && cd "$$tmp/src" && \
	echo "test-fresh: $$(git log -1 --format='%h %s') in $$tmp" && \
	env -u XDG_CACHE_HOME -u XDG_CONFIG_HOME -u XDG_STATE_HOME -u XDG_DATA_HOME -u XDG_RUNTIME_DIR -u GOFLAGS \
		HOME="$$tmp/home" GOPATH="$$tmp/gopath" GOMODCACHE="$$tmp/gomodcache" GOCACHE="$$tmp/gocache" \
		LOCKWATCH_CHROOT_CACHE="$$tmp/chroot-cache" \
		bash .ci/run

vet:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || { echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags nogui ./...

fuzz:
# FuzzRESTList runs an HTTP round trip per input: by count, as a time limit
# ended it with "context deadline exceeded" once (Go's fuzzer, slow inputs).
	$(GO) test -run '^$$' -fuzz FuzzClassify -fuzztime 10s ./service/restic/
	$(GO) test -run '^$$' -fuzz FuzzDecodeLock -fuzztime 10s ./service/native/
	$(GO) test -run '^$$' -fuzz FuzzRESTList -fuzztime 5000x ./service/native/
	$(GO) test -run '^$$' -fuzz FuzzConfig -fuzztime 10s ./service/config/

# Install what the build and the tests need: as root via apt-get, otherwise
# print the exact command and stop. Then every Go module of the build, for
# every OS (so no test meets "go: downloading" later), and, as root,
# Debian 13's restic for the second test pass.
deps:
	@missing=""; bare=""; \
	for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	for p in $(APT_BARE_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || bare="$$bare $$p"; \
	done; \
	if [ -n "$$missing$$bare" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing:$$missing$$bare"; \
			apt-get update -qq || exit 1; \
			if [ -n "$$missing" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; fi; \
			if [ -n "$$bare" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$bare >/dev/null || exit 1; fi; \
		else \
			echo "Missing Debian packages. Run:"; \
			[ -z "$$missing" ] || echo "  sudo apt-get install -y$$missing"; \
			[ -z "$$bare" ] || echo "  sudo apt-get install -y --no-install-recommends$$bare"; \
			exit 1; \
		fi; \
	fi
	@$(GO) mod download
	@if [ "$$(id -u)" = 0 ]; then .ci/restic-trixie.sh >/dev/null; fi

clean:
	rm -rf bin dist
