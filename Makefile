# Thin wrapper: `make demo` and `make test` set up what is missing, build, and run.
BUILD_DIR ?= build
# The clang-19 ASan + UBSan build (unit tests, CLI error tests, the fuzz target).
SANITIZE_DIR ?= build-sanitize
FUZZ_SECONDS ?= 60
# ccache when there is one (a fresh machine has none).
LAUNCHER  := $(if $(shell command -v ccache),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
EXAMPLE   := examples/small_cnn
FASHION   := examples/fashion_rnnpool
RNNPOOLC  := $(BUILD_DIR)/rnnpoolc

.PHONY: all deps build demo test build-sanitize test-sanitize fuzz clean

all: build

deps:
	@tools/setup-deps

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	@cmake --build $(BUILD_DIR)

demo: build
	$(RNNPOOLC) inspect $(EXAMPLE)/model.onnx
	$(RNNPOOLC) run $(EXAMPLE)/model.onnx --input $(EXAMPLE)/input.npy --board host
	@echo "== Fashion-MNIST RNNPool classifier: compile for Cortex-M4, run in QEMU =="
	$(RNNPOOLC) inspect $(FASHION)/model.onnx
	$(RNNPOOLC) compile $(FASHION)/model.onnx -o $(BUILD_DIR)/demo-fashion --calib $(FASHION)
	@sed -n '/^peak RAM/,$$p' $(BUILD_DIR)/demo-fashion/plan.txt
	@echo "== the same C on a Cortex-M4 (QEMU netduinoplus2: 1 MB flash, 128 KB SRAM) =="
	@/usr/bin/python3 tools/demo_fashion.py $(RNNPOOLC) $(FASHION) $(BUILD_DIR)/demo-fashion-run netduinoplus2
	@echo "== RNNPool-Face-M4-shaped detector (320x240, random weights) on netduinoplus2 =="
	@/usr/bin/python3 tools/models/export.py rnnpool_face -o $(BUILD_DIR)/demo-face > /dev/null
	$(RNNPOOLC) run $(BUILD_DIR)/demo-face/rnnpool_face.onnx --input $(BUILD_DIR)/demo-face/input.npy \
	  --calib $(BUILD_DIR)/demo-face/input.npy --board netduinoplus2 | grep -E "^(board|flash|RAM|matches)"

# Everything on the normal build, then the sanitizer build's tests, then a short fuzz run.
test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2
	@$(MAKE) --no-print-directory test-sanitize
	@$(MAKE) --no-print-directory fuzz

build-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
	  -DRNNPOOLC_SANITIZE=address,undefined $(LAUNCHER) > /dev/null
	@cmake --build $(SANITIZE_DIR)

test-sanitize: build-sanitize
	ctest --test-dir $(SANITIZE_DIR) --output-on-failure -j2

# libFuzzer and the CLI mutator, FUZZ_SECONDS each (tests/fuzz/run, docs/testing.md).
fuzz: build-sanitize
	tests/fuzz/run $(SANITIZE_DIR) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
