# Thin wrapper: `make demo` and `make test` set up what is missing, build, and run.
BUILD_DIR ?= build
EXAMPLE   := examples/small_cnn
RNNPOOLC  := $(BUILD_DIR)/rnnpoolc

.PHONY: all deps build demo test clean

all: build

deps:
	@tools/setup-deps

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
	@cmake --build $(BUILD_DIR)

demo: build
	$(RNNPOOLC) inspect $(EXAMPLE)/model.onnx
	$(RNNPOOLC) run $(EXAMPLE)/model.onnx --input $(EXAMPLE)/input.npy --board host

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

clean:
	rm -rf $(BUILD_DIR)
