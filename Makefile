# Thin wrapper: `make demo` and `make test` set up what is missing, build, and run.
BUILD_DIR ?= build
EXAMPLE   := examples/small_cnn
FASHION   := examples/fashion_rnnpool
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
	@echo "== Fashion-MNIST RNNPool classifier: compile for Cortex-M4, run in QEMU =="
	$(RNNPOOLC) inspect $(FASHION)/model.onnx
	$(RNNPOOLC) compile $(FASHION)/model.onnx -o $(BUILD_DIR)/demo-fashion --calib $(FASHION)
	@sed -n '/^peak RAM/,$$p' $(BUILD_DIR)/demo-fashion/plan.txt
	@for f in $(FASHION)/image_*.npy; do \
	  label=$$(grep "^$$(basename $$f) " $(FASHION)/labels.txt | cut -d' ' -f2-); \
	  echo "-- $$(basename $$f): label $$label"; \
	  $(RNNPOOLC) run $(FASHION)/model.onnx --input $$f --board mps2-an386 \
	    --calib $(FASHION) | grep -E "argmax|instructions|matches" || exit 1; \
	done

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

clean:
	rm -rf $(BUILD_DIR)
