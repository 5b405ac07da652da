# Thin wrapper: `make demo` and `make test` set up what is missing, build, and run.
BUILD_DIR ?= build
# The clang-19 ASan + UBSan build (unit tests, CLI error tests, the fuzz target).
SANITIZE_DIR ?= build-sanitize
FUZZ_SECONDS ?= 60
# ccache when there is one (a fresh machine has none).
LAUNCHER  := $(if $(shell command -v ccache),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
FASHION   := examples/fashion_rnnpool
# The demo's face detector: a model name of tools/models/export.py.
FACE_MODEL := rpool_face_m4
# Its plan runs the blocks and the heads on their feature maps in row bands: a 90,304-byte
# arena, 96,100 bytes of SRAM with the harness's stack and data, so it runs on
# netduinoplus2's 128 KB.
FACE_BOARD := netduinoplus2
RNNPOOLC  := $(BUILD_DIR)/rnnpoolc

.PHONY: all deps build demo test build-sanitize test-sanitize fuzz clean

all: build

deps:
	@tools/setup-deps

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	@cmake --build $(BUILD_DIR)

demo: build
	@echo "== Fashion-MNIST RNNPool classifier: what rnnpoolc sees =="
	$(RNNPOOLC) inspect $(FASHION)/model.onnx
	@echo "== compiled for Cortex-M4 (int8): its memory plan =="
	$(RNNPOOLC) compile $(FASHION)/model.onnx -o $(BUILD_DIR)/demo-fashion --calib $(FASHION)
	@sed -n '/^arena/,$$p' $(BUILD_DIR)/demo-fashion/plan.txt
	@echo "== the same C on a Cortex-M4 (QEMU netduinoplus2: 1 MB flash, 128 KB SRAM) =="
	@/usr/bin/python3 tools/demo_fashion.py $(RNNPOOLC) $(FASHION) $(BUILD_DIR)/demo-fashion-run netduinoplus2
	@echo "== face detector ($(FACE_MODEL), the RNNPool authors' RPool_Face_M4 architecture) on $(FACE_BOARD) =="
	@/usr/bin/python3 tools/demo_face.py $(RNNPOOLC) $(FACE_MODEL) $(BUILD_DIR)/demo-face $(FACE_BOARD)
	@echo "== summary =="
	@/usr/bin/python3 tools/demo_summary.py $(BUILD_DIR)/demo-fashion-run/result.json $(BUILD_DIR)/demo-face/result.json

# Everything on the normal build, then the sanitizer build's tests, then a short fuzz run.
test: build
	@rm -f $(BUILD_DIR)/ctest-junit.xml; ctest --test-dir $(BUILD_DIR) --output-on-failure -j2 --progress --output-junit $(abspath $(BUILD_DIR))/ctest-junit.xml; status=$$?; /usr/bin/python3 tools/test_summary.py $(BUILD_DIR)/ctest-junit.xml; exit $$status
	@$(MAKE) --no-print-directory test-sanitize
	@$(MAKE) --no-print-directory fuzz

build-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
	  -DRNNPOOLC_SANITIZE=address,undefined $(LAUNCHER) > /dev/null
	@cmake --build $(SANITIZE_DIR)

# quant/Fashion (10,000 test images through both interpreters) stays on the normal build:
# under the sanitizers it alone takes minutes.
test-sanitize: build-sanitize
	ctest --test-dir $(SANITIZE_DIR) --output-on-failure -j2 -E '^quant/Fashion$$'

# libFuzzer and the CLI mutator, FUZZ_SECONDS each (tests/fuzz/run, docs/testing.md).
fuzz: build-sanitize
	tests/fuzz/run $(SANITIZE_DIR) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR)
